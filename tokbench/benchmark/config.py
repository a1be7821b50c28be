"""RunConfig: one benchmark run as a value — typed, immutable, validated once, stored with its results.

    from tokbench import RunConfig, run_benchmark
    config = RunConfig(workload=WorkloadSettings("high-variance"), strategies=("tokenmaxxing", "continuous"))
    results = run_benchmark(config)

It round-trips through plain dicts (`to_dict` / `from_dict`), hence TOML and JSON
(benchmark/config_files.py), and every results.json stores it under `run_config`, so a results
directory can be run again exactly: `tokbench run --config results/x/results.json`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from tokbench.benchmark.config_errors import ConfigError, flag_of
from tokbench.workload.options import (
    OVER_LENGTH_POLICIES,
    TIME_UNIT_NAMES,
    WorkloadOptions,
)

DEVICES = ("auto", "cpu", "cuda")
DTYPE_NAMES = ("auto", "fp32", "bf16", "fp16")


@dataclass(frozen=True)
class ModelSettings:
    spec: str = "tiny"  # a preset name or a local Hugging Face directory
    device: str = "auto"  # auto, cpu, cuda or cuda:N
    dtype: str = "auto"  # auto (fp32 on CPU, bf16 on CUDA), fp32, bf16, fp16
    attention: str = "auto"  # attention backend: auto or a backend name
    threads: int | None = None  # CPU threads for torch; None = every usable core
    cuda_graphs: bool = True
    gpu_memory_utilization: float = 0.9  # share of GPU memory for weights, activations and KV
    max_model_len: int | None = None  # cap the model's own maximum; None = the model's


@dataclass(frozen=True)
class WorkloadSettings:
    spec: str = "quick"  # a preset name, a preset/spec file or a trace file
    options: WorkloadOptions = field(default_factory=lambda: WorkloadOptions(over_length="refuse"))


@dataclass(frozen=True)
class SchedulerSettings:
    max_num_seqs: int = 128
    max_batch_tokens: int = 2048
    block_size: int = 16
    kv_budget_tokens: int | None = None  # None: 16 x max_model_len on CPU, what fits on a GPU
    knobs: dict[str, Any] = field(default_factory=dict)  # strategies' own knobs, by name


@dataclass(frozen=True)
class SLOSettings:
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2el_ms: float | None = None

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class RunConfig:
    model: ModelSettings = field(default_factory=ModelSettings)
    workload: WorkloadSettings = field(default_factory=WorkloadSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    strategies: tuple[str, ...] = ("all",)  # names, 'all', or path/to/file.py:ClassName
    backends: tuple[str, ...] = ("tokbench",)  # tokbench and/or peers (hf, vllm, hf:continuous, ...)
    slo: SLOSettings = field(default_factory=SLOSettings)
    warmup: bool = True
    seed: int = 0
    verify: bool = False
    save_outputs: bool = False
    repeats: int = 1
    target_precision: float | None = None  # percent: add rounds until every run's output throughput is this precise
    max_repeats: int | None = None  # with target_precision: the most rounds (default benchmark/precision.py)
    out: str = "results/latest"

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategies", tuple(self.strategies))
        object.__setattr__(self, "backends", tuple(self.backends))
        problems = validate(self)
        if problems:
            raise ConfigError(problems)

    def to_dict(self) -> dict:
        """Plain data (no None: an absent key means the default), the form stored in results.json."""
        return _drop_none({
            "model": asdict(self.model),
            "workload": {"spec": self.workload.spec, **_options_dict(self.workload.options)},
            "scheduler": {**asdict(self.scheduler), "knobs": dict(self.scheduler.knobs)},
            "strategies": list(self.strategies),
            "backends": list(self.backends),
            "slo": self.slo.as_dict(),
            "warmup": self.warmup, "seed": self.seed, "verify": self.verify, "save_outputs": self.save_outputs,
            "repeats": self.repeats, "target_precision": self.target_precision, "max_repeats": self.max_repeats,
            "out": self.out,
        })

    @classmethod
    def from_dict(cls, data: dict, where: str = "run config") -> "RunConfig":
        """The inverse of to_dict; an unknown or mistyped key is a ConfigError naming it."""
        from tokbench.benchmark.config_parse import config_from_dict

        return config_from_dict(data, where)

    def with_values(self, values: dict[str, Any]) -> "RunConfig":
        """A copy with dotted keys replaced, e.g. {"scheduler.max_num_seqs": 64, "seed": 1}."""
        from tokbench.benchmark.config_parse import merge_dotted

        return RunConfig.from_dict(merge_dotted(self.to_dict(), values))


def _options_dict(options: WorkloadOptions) -> dict:
    out = {f.name: getattr(options, f.name) for f in fields(WorkloadOptions) if f.name != "progress"}
    if options.window is not None:  # "START:END" as on the command line (TOML has no null)
        start, end = options.window
        out["window"] = f"{start:g}:" + ("" if math.isinf(end) else f"{end:g}")
    out["columns"] = dict(options.columns)
    return out


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def _bad(problems: list[str], key: str, value, why: str) -> None:
    flag = flag_of(key)
    problems.append(f"{flag}{'' if flag.endswith('=') else ' '}{value!r} ({key}): {why}")


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate(config: RunConfig) -> list[str]:
    """Every problem of the config, one line each, naming the flag and the config key."""
    p: list[str] = []
    m, s = config.model, config.scheduler
    if m.device not in DEVICES and not m.device.startswith("cuda:"):
        _bad(p, "model.device", m.device, f"choose {', '.join(DEVICES)} or cuda:N")
    if m.dtype not in DTYPE_NAMES:
        _bad(p, "model.dtype", m.dtype, f"choose {', '.join(DTYPE_NAMES)}")
    if m.threads is not None and m.threads < 1:
        _bad(p, "model.threads", m.threads, "must be at least 1")
    if not (_finite(m.gpu_memory_utilization) and 0 < m.gpu_memory_utilization <= 1):
        _bad(p, "model.gpu_memory_utilization", m.gpu_memory_utilization, "must be in (0, 1]")
    if m.max_model_len is not None and m.max_model_len < 2:
        _bad(p, "model.max_model_len", m.max_model_len, "must be at least 2")
    for key in ("max_num_seqs", "max_batch_tokens", "block_size"):
        if getattr(s, key) < 1:
            _bad(p, f"scheduler.{key}", getattr(s, key), "must be at least 1")
    if s.kv_budget_tokens is not None and s.kv_budget_tokens < 1:
        _bad(p, "scheduler.kv_budget_tokens", s.kv_budget_tokens, "must be at least 1")
    for key, value in asdict(config.slo).items():
        if value is not None and not (_finite(value) and value > 0):
            _bad(p, f"slo.{key}", value, "must be a positive, finite number of milliseconds")
    if not config.strategies and "tokbench" in config.backends:
        _bad(p, "strategies", list(config.strategies), "name at least one strategy (or 'all')")
    if not config.backends:
        _bad(p, "backends", [], "name at least one backend (tokbench, hf, vllm, ...)")
    if config.repeats < 1:
        _bad(p, "repeats", config.repeats, "must be at least 1")
    if config.target_precision is not None and not (_finite(config.target_precision) and
                                                    0 < config.target_precision < 100):
        _bad(p, "target_precision", config.target_precision, "must be a percentage between 0 and 100, e.g. 5")
    if config.max_repeats is not None:
        if config.target_precision is None:
            _bad(p, "max_repeats", config.max_repeats, "is the most rounds --target-precision may add; set that too")
        elif config.max_repeats < max(config.repeats, 2):
            _bad(p, "max_repeats", config.max_repeats, f"must be at least --repeats and at least 2 "
                 f"(--repeats is {config.repeats})")
    if not config.out:
        _bad(p, "out", config.out, "give a results directory")
    o = config.workload.options
    if o.over_length not in OVER_LENGTH_POLICIES:
        _bad(p, "workload.over_length", o.over_length, f"choose {', '.join(OVER_LENGTH_POLICIES)}")
    if o.time_unit is not None and o.time_unit not in TIME_UNIT_NAMES:
        _bad(p, "workload.time_unit", o.time_unit, f"choose {', '.join(TIME_UNIT_NAMES)}")
    return p


def replace_options(config: RunConfig, **changes) -> RunConfig:
    """A copy with workload options changed (WorkloadOptions checks their values)."""
    return replace(config, workload=replace(config.workload, options=replace(config.workload.options, **changes)))
