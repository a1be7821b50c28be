"""`tokbench run`'s flags as RunConfig values: each flag names the config key it sets.

Only the flags given on the command line are applied, on top of `--config FILE` (or the defaults),
so a config file is overridden flag by flag.
"""

from __future__ import annotations

from typing import Any, Callable

from tokbench.benchmark.ablation import STRATEGIES as LADDER
from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.config_files import read_config_data
from tokbench.benchmark.config_parse import merge_dotted
from tokbench.engine.knobs import parse_knob_value
from tokbench.errors import UserError
from tokbench.workload.options import parse_columns, parse_delimiter, parse_window


def parse_slo(text: str) -> dict[str, float]:
    """'ttft_ms=500,tpot_ms=50' -> {'slo.ttft_ms': 500.0, 'slo.tpot_ms': 50.0} (ranges: RunConfig)."""
    values = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in ("ttft_ms", "tpot_ms", "e2el_ms"):
            raise UserError(f"--slo {text!r}: expected ttft_ms=…,tpot_ms=…,e2el_ms=… (got {part!r})")
        try:
            values[f"slo.{key}"] = float(value)
        except ValueError:
            raise UserError(f"--slo {text!r}: {key} value {value!r} is not a number") from None
    return values


def parse_knobs(pairs: list[str]) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--knob {pair!r}: expected NAME=VALUE (e.g. --knob chunk_size=256)")
        out[f"scheduler.knobs.{name.strip()}"] = parse_knob_value(value)
    return out


def _window(text):
    window = parse_window(text)
    end = "" if window[1] == float("inf") else f"{window[1]:g}"
    return f"{window[0]:g}:{end}"


# flag parameter -> (config key, conversion of the flag's value) ; a key of None: the converter
# returns {key: value} itself.
_ONE: dict[str, tuple[str | None, Callable]] = {
    "model": ("model.spec", str), "device": ("model.device", str), "dtype": ("model.dtype", str),
    "attention": ("model.attention", str), "threads": ("model.threads", int),
    "cuda_graphs": ("model.cuda_graphs", bool), "gpu_memory_utilization": ("model.gpu_memory_utilization", float),
    "max_model_len": ("model.max_model_len", int),
    "workload": ("workload.spec", str), "format": ("workload.format", str),
    "column": ("workload.columns", parse_columns), "time_unit": ("workload.time_unit", str),
    "delimiter": ("workload.delimiter", parse_delimiter), "time_scale": ("workload.time_scale", float),
    "rate_scale": ("workload.rate_scale", float), "window": ("workload.window", _window),
    "limit": ("workload.limit", int), "sample": ("workload.sample", int),
    "num_requests": ("workload.num_requests", int), "length_scale": ("workload.length_scale", float),
    "over_length": ("workload.over_length", str), "skip_bad_rows": ("workload.skip_bad_rows", bool),
    "sort_by_time": ("workload.sort_by_time", bool), "offline": ("workload.offline", bool),
    "tokenizer": ("workload.tokenizer", str),
    "max_num_seqs": ("scheduler.max_num_seqs", int), "max_batch_tokens": ("scheduler.max_batch_tokens", int),
    "block_size": ("scheduler.block_size", int), "kv_budget_tokens": ("scheduler.kv_budget_tokens", int),
    "chunk_size": ("scheduler.knobs.chunk_size", int), "watermark": ("scheduler.knobs.watermark", float),
    "order": ("scheduler.knobs.order", str), "bin_tokens": ("scheduler.knobs.bin_tokens", int),
    "knob": (None, parse_knobs), "slo": (None, parse_slo),
    "strategy": ("strategies", list), "ablation": ("strategies", lambda on: list(LADDER) if on else None),
    "backend": ("backends", list),
    "seed": ("seed", int), "warmup": ("warmup", bool), "verify": ("verify", bool),
    "save_outputs": ("save_outputs", bool), "repeats": ("repeats", int),
    "target_precision": ("target_precision", float), "max_repeats": ("max_repeats", int), "out": ("out", str),
}


def config_from_flags(given: dict[str, Any], config_file: str | None = None) -> RunConfig:
    """The RunConfig of `--config FILE` (or the defaults) with the flags in `given` applied."""
    unknown = sorted(set(given) - set(_ONE))
    if unknown:
        raise ValueError(f"flags without a config key: {unknown}")  # a programming error, not the user's
    if given.get("ablation") and given.get("strategy"):
        raise UserError("--ablation runs the ladder's strategies (" + ", ".join(LADDER) + "); drop --strategy")
    base = read_config_data(config_file) if config_file else {}
    where = config_file or "the command line"
    dotted: dict[str, Any] = {}
    for name, value in given.items():
        key, convert = _ONE[name]
        if value is None:
            continue
        converted = convert(value)
        if converted is None:
            continue
        if key is None:
            dotted.update(converted)
        else:
            dotted[key] = str(converted) if key == "out" else converted
    return RunConfig.from_dict(merge_dotted(base, dotted), where=where)
