"""Everything a run needs before its first strategy starts, with every user mistake found first.

Order matters: what is cheap and can be wrong (strategy names, knobs, backends, device, the
workload file) is checked before the model is loaded; the model, the KV budget and the engine
come last; then every strategy checks it can run every request.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.device import resolve_device, resolve_dtype, set_threads
from tokbench.benchmark.kv_sizing import resolve_kv_budget
from tokbench.benchmark.model_cache import ModelCache
from tokbench.benchmark.strategy_registry import builtin_names, resolve
from tokbench.engine.engine import Engine
from tokbench.engine.knobs import check_knobs_used
from tokbench.engine.memory_budget import KVBudget
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.errors import UserError
from tokbench.metrics.hardware import DevicePeaks, device_peaks
from tokbench.metrics.summary import SLO
from tokbench.model import LoadedModel, resolve_config
from tokbench.peers import parse_backends
from tokbench.workload import Workload, load_workload


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


def resolve_strategies(config: RunConfig) -> list[type[Strategy]]:
    """The run's strategy classes, after checking that every knob set is read by one of them."""
    names = builtin_names() if "all" in config.strategies else config.strategies
    strategies = [resolve(name) for name in dict.fromkeys(names)]
    check_knobs_used(config.scheduler.knobs, strategies, known=[resolve(n) for n in builtin_names()])
    return strategies


def model_len(config: RunConfig, model_max: int) -> int:
    """The run's max_model_len: the model's own, or lower if the config caps it."""
    cap = config.model.max_model_len
    if cap is not None and cap > model_max:
        raise UserError(f"--max-model-len {cap} (model.max_model_len): above the model's own maximum of "
                        f"{model_max} tokens; the flag can only lower it")
    return cap or model_max


def load_run_workload(config: RunConfig, vocab_size: int, max_model_len: int, *,
                      lengths_only: bool = False) -> Workload:
    spec = config.workload.spec
    wl = load_workload(spec, seed=config.seed, vocab_size=vocab_size, max_model_len=max_model_len,
                       options=config.workload.options, lengths_only=lengths_only)
    if not wl.requests:
        raise UserError(f"--workload {spec} (workload.spec): no requests left after the workload options")
    return wl


def prepare(config: RunConfig, models: ModelCache | None = None) -> Prepared:
    use_tokbench, peers = parse_backends(list(config.backends))
    strategies = resolve_strategies(config) if use_tokbench else []
    device = resolve_device(config.model.device)
    dtype = resolve_dtype(config.model.dtype, device)
    threads = set_threads(config.model.threads)
    model_cfg = resolve_config(config.model.spec)
    max_model_len = model_len(config, model_cfg.max_model_len)
    workload = load_run_workload(config, model_cfg.vocab_size, max_model_len)

    loaded = (models or ModelCache()).get(config.model.spec, dtype=dtype, device=device, seed=config.seed,
                                          max_model_len=max_model_len)
    s = config.scheduler
    shared = SchedulerConfig(kv_budget_tokens=1, max_model_len=max_model_len, max_num_seqs=s.max_num_seqs,
                             max_batch_tokens=s.max_batch_tokens, block_size=s.block_size, knobs=dict(s.knobs))
    budget, gpu_budget = resolve_kv_budget(loaded, workload.requests, strategies, shared,
                                           requested=s.kv_budget_tokens,
                                           utilization=config.model.gpu_memory_utilization)
    sched = SchedulerConfig(**{**shared.__dict__, "kv_budget_tokens": budget})
    sched.validate()
    paged = any(cls.kv_layout == "paged" for cls in strategies)
    engine = Engine(loaded, budget, config.model.attention, paged_block_size=s.block_size if paged else None,
                    cuda_graphs=config.model.cuda_graphs, max_num_seqs=s.max_num_seqs)
    for cls in strategies:  # every strategy accepts the knobs and every request before any runs
        engine.check(cls, sched, workload.requests)
    return Prepared(config=config, strategies=strategies, peers=peers, device=device, dtype=dtype, threads=threads,
                    workload=workload, loaded=loaded, sched=sched, gpu_budget=gpu_budget, engine=engine,
                    peaks=device_peaks(device, dtype), slo=SLO(**config.slo.as_dict()))
