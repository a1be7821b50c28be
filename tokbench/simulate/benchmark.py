"""simulate_benchmark: a RunConfig and a cost model in, Results out — the same schema as a run, marked simulated.

    from tokbench import RunConfig
    from tokbench.simulate import RooflineModel, simulate_benchmark
    results = simulate_benchmark(RunConfig(model=ModelSettings("llama-8b")), roofline_for(config, "H100-SXM"))
    save_results(results, "results/simulated")    # report, compare and gate read it like any run

What the config says about executing a model (device, attention, threads, CUDA graphs, warmup,
verification, peers) has nothing to act on and is ignored; the model's shape comes from the cost
model, which must describe the model the config names.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from tokbench.benchmark.checks import load_run_workload, model_len, resolve_strategies
from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.results_doc import combined_table
from tokbench.engine.policy import CPU_DEFAULT_KV_SEQUENCES, SchedulerConfig
from tokbench.environment import describe_environment
from tokbench.errors import UserError
from tokbench.metrics.hardware import find_gpu
from tokbench.metrics.summary import SLO
from tokbench.model import resolve_config
from tokbench.model.config import ModelConfig
from tokbench.model.model_spec import read_config
from tokbench.peers import parse_backends
from tokbench.results import Results
from tokbench.results.format import TABLES
from tokbench.simulate.cost_file import cost_model_doc
from tokbench.simulate.coverage import extrapolation_notes
from tokbench.simulate.gpu_memory import gpu_kv_budget
from tokbench.simulate.memory import reused_memory
from tokbench.simulate.roofline import RooflineModel
from tokbench.simulate.run import simulate
from tokbench.simulate.target import Target

TORCH_NAMES = {"fp32": "float32", "tf32": "float32", "bf16": "bfloat16", "fp16": "float16", "fp8": "float8_e4m3fn"}
# The fields that make two model configurations the same shape (a name or a length cap do not).
SHAPE = ("architecture", "vocab_size", "hidden_size", "intermediate_size", "num_layers", "num_heads",
         "num_kv_heads", "head_dim", "tie_word_embeddings", "attention_bias")


def _capped(cfg: ModelConfig, max_model_len: int) -> ModelConfig:
    return ModelConfig(**{**cfg.to_dict(), "max_model_len": max_model_len})


def model_config(spec: str) -> ModelConfig:
    """A preset, a Hugging Face directory, or a config.json file alone: a simulation needs no weights."""
    path = Path(spec)
    return read_config(path) if path.is_file() and path.suffix == ".json" else resolve_config(spec)


def roofline_for(config: RunConfig, gpu: str, *, tensor_parallel: int = 1, **factors: float) -> RooflineModel:
    """The roofline cost model of the config's model (and dtype: bf16 unless it names one) on `gpu`."""
    cfg = model_config(config.model.spec)
    dtype = "bf16" if config.model.dtype == "auto" else config.model.dtype
    return RooflineModel.build(gpu, cfg, dtype=dtype, tensor_parallel=tensor_parallel, **factors)


def _model(config: RunConfig, cost_model) -> ModelConfig:
    """The config's model, checked to be the shape the cost model describes, at the run's length."""
    named = model_config(config.model.spec)
    described = cost_model.target.model
    differs = [f for f in SHAPE if getattr(named, f) != getattr(described, f)]
    if differs:
        raise UserError(f"--model {config.model.spec} (model.spec) is not the model the cost model describes "
                        f"({described.name}: {', '.join(differs)} differ); name that model or give a cost "
                        "model for this one")
    return _capped(described, model_len(config, named.max_model_len))


def _kv_budget(config: RunConfig, target: Target, requests, strategies, shared: SchedulerConfig) -> tuple[int, str]:
    if config.scheduler.kv_budget_tokens is not None:
        return config.scheduler.kv_budget_tokens, "given"
    gpu = find_gpu(target.device_name)
    if gpu is None:  # a CPU (calibrated there): what `run` uses on CPU
        return CPU_DEFAULT_KV_SEQUENCES * shared.max_model_len, "default"
    budget = gpu_kv_budget(target, gpu, requests, strategies, shared, utilization=config.model.gpu_memory_utilization)
    return budget, f"estimated from {gpu.key} memory"


def _environment(target: Target, kind: str) -> dict:
    """The simulating machine, with the device the cost model describes; its fingerprint says
    'simulated', so no timing of it is ever judged as if measured on this machine (gate)."""
    env = describe_environment(torch.device("cpu"), "simulated")
    machine = {**env.get("machine", {}), "cpu_model": f"simulated: {target.device_name}, {kind} cost model"}
    return {**env, "device": f"simulated:{target.device_name}", "device_name": target.device_name,
            "device_memory_bytes": None, "compute_capability": None, "machine": machine}


def simulate_benchmark(config: RunConfig, cost_model, *, replicas: int = 1, router: str = "round-robin",
                       workers: int = 1, against: str | Path | None = None) -> Results:
    """Every tokbench strategy of `config`, simulated; Results as run_benchmark gives (not written yet)."""
    with reused_memory():  # tables of tens of millions of rows: see memory.py
        return _simulate_benchmark(config, cost_model, replicas=replicas, router=router, workers=workers,
                                   against=against)


def _simulate_benchmark(config: RunConfig, cost_model, *, replicas: int, router: str, workers: int,
                        against: str | Path | None) -> Results:
    use_tokbench, peers = parse_backends(list(config.backends))
    if not use_tokbench:
        raise UserError("--backend: simulate runs tokbench strategies; include the tokbench backend")
    notes = [f"simulated: peer backend {name} is not simulated" for name, _ in peers]
    strategies = resolve_strategies(config)
    model = _model(config, cost_model)
    target = replace(cost_model.target, model=model)
    workload = load_run_workload(config, model.vocab_size, model.max_model_len, lengths_only=True)
    s = config.scheduler
    shared = SchedulerConfig(kv_budget_tokens=1, max_model_len=model.max_model_len, max_num_seqs=s.max_num_seqs,
                             max_batch_tokens=s.max_batch_tokens, block_size=s.block_size, knobs=dict(s.knobs))
    budget, sizing = _kv_budget(config, target, workload.requests, strategies, shared)
    sched = replace(shared, kv_budget_tokens=budget)
    sched.validate()
    runs = simulate(strategies, sched, workload.requests, cost_model, replicas=replicas, router=router,
                    slo=SLO(**config.slo.as_dict()), workers=workers)
    tables = {name: combined_table(runs, name) for name in TABLES}
    notes += extrapolation_notes(cost_model, tables["steps"])
    bandwidth, flops = target.summary_peaks()
    doc = {
        "run_config": config.to_dict(),
        "config": {
            "model": {"spec": config.model.spec, "source": "simulated", "dtype": TORCH_NAMES[target.dtype],
                      "config": model.to_dict(), "weight_bytes": target.cost().weight_bytes},
            "workload": {"spec": config.workload.spec, "options": config.workload.options.as_dict()},
            "seed": config.seed, "warmup": False, "scheduler": sched.to_dict(),
            "kv_sizing": {"source": sizing}, "slo": config.slo.as_dict(), "cost_model": target.cost().to_dict(),
            "peaks": {"device_name": target.device_name, "peak_bandwidth": bandwidth, "peak_flops": flops,
                      "source": f"{cost_model.kind} cost model"},
        },
        "environment": _environment(target, cost_model.kind),
        "simulation": {"cost_model": cost_model_doc(cost_model), "replicas": replicas,
                       "router": router if replicas > 1 else None, "against": str(against) if against else None},
        "workload": {"name": workload.name, "num_requests": len(workload.requests), "offline": workload.is_offline,
                     "source": workload.source},
        "runs": [r.describe() for r in runs],
        "failures": [],
        "notes": notes,
    }
    return Results(None, doc, **tables, outputs=None, workload=workload)


def is_simulated(results: Results) -> bool:
    return "simulation" in results.doc
