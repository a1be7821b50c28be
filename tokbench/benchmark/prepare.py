"""Everything a run needs before its first strategy starts, with every user mistake found first.

Order matters: what needs no torch and can be wrong (strategies, knobs, backends, the model's
shape, the workload file, a given KV budget too small for a request) is checked first
(benchmark/checks.py); then the device, and on CPU whether weights, KV and the largest step fit
in host memory; only then is the model loaded and (on a GPU) the KV budget sized; then every
strategy checks it can run every request at that budget, before the KV pool is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tokbench.benchmark.checks import CheckedRun, take_checked
from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.device import resolve_device, resolve_dtype, set_threads
from tokbench.benchmark.kv_fit import check_kv_fits
from tokbench.benchmark.kv_sizing import cpu_kv_budget, resolve_kv_budget
from tokbench.benchmark.model_cache import ModelCache
from tokbench.engine.engine import Engine
from tokbench.engine.memory_budget import KVBudget
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.metrics.hardware import DevicePeaks, device_peaks
from tokbench.metrics.summary import SLO
from tokbench.model import LoadedModel
from tokbench.workload import Workload


@dataclass
class Prepared:
    config: RunConfig
    strategies: list[type[Strategy]]
    peers: list[tuple[str, str]]
    device: torch.device
    dtype: torch.dtype
    threads: int
    workload: Workload
    loaded: LoadedModel
    sched: SchedulerConfig
    gpu_budget: KVBudget | None  # the GPU memory sizing behind sched.kv_budget_tokens (None on CPU)
    engine: Engine
    peaks: DevicePeaks
    slo: SLO


def _kv_budget(c: CheckedRun, loaded: LoadedModel, shared: SchedulerConfig) -> tuple[int, KVBudget | None]:
    """The GPU's KV budget, sized from its memory once the model is loaded, and checked against the workload."""
    requested = c.config.scheduler.kv_budget_tokens
    budget, gpu_budget = resolve_kv_budget(loaded, c.workload.requests, c.strategies, shared, requested=requested,
                                           utilization=c.config.model.gpu_memory_utilization)
    if requested is None:  # a given budget was checked before the model loaded
        check_kv_fits(c.strategies, c.scheduler(budget), c.workload.requests,
                      what=f"the KV budget that fits in GPU memory ({budget} tokens)",
                      hint="; lower --max-model-len, or raise --gpu-memory-utilization")
    return budget, gpu_budget


def prepare(config: RunConfig, models: ModelCache | None = None) -> Prepared:
    c = take_checked(config)
    device = resolve_device(config.model.device)
    dtype = resolve_dtype(config.model.dtype, device)
    threads = set_threads(config.model.threads)
    shared = c.scheduler(kv_budget_tokens=1)
    cpu_budget = None
    if device.type != "cuda":  # checked against host memory before anything is allocated
        cpu_budget = cpu_kv_budget(c.model_cfg, torch.finfo(dtype).bits // 8, c.workload.requests, c.strategies,
                                   shared, requested=config.scheduler.kv_budget_tokens)
        if config.scheduler.kv_budget_tokens is None:
            check_kv_fits(c.strategies, c.scheduler(cpu_budget), c.workload.requests,
                          what=f"the default KV budget ({cpu_budget} tokens)")
    loaded = (models or ModelCache()).get(config.model.spec, dtype=dtype, device=device, seed=config.seed,
                                          max_model_len=c.model_cfg.max_model_len)
    budget, gpu_budget = (cpu_budget, None) if cpu_budget is not None else _kv_budget(c, loaded, shared)
    sched = c.scheduler(budget)
    sched.validate()
    s = config.scheduler
    paged = any(cls.kv_layout == "paged" for cls in c.strategies)
    engine = Engine(loaded, budget, config.model.attention, paged_block_size=s.block_size if paged else None,
                    cuda_graphs=config.model.cuda_graphs, max_num_seqs=s.max_num_seqs)
    for cls in c.strategies:  # every strategy accepts the knobs and every request before any runs
        engine.check(cls, sched, c.workload.requests)
    return Prepared(config=config, strategies=c.strategies, peers=c.peers, device=device, dtype=dtype,
                    threads=threads, workload=c.workload, loaded=loaded, sched=sched, gpu_budget=gpu_budget,
                    engine=engine, peaks=device_peaks(device, dtype), slo=SLO(**config.slo.as_dict()))
