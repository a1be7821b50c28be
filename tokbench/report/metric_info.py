"""What each summary metric means to a reader: a label, a unit, and which direction is better."""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.results.schema import LATENCY_METRICS

HIGHER, LOWER, NEUTRAL = "higher", "lower", None


@dataclass(frozen=True)
class MetricInfo:
    label: str
    unit: str  # "tok/s", "ms", "%" (a 0..1 fraction shown as percent), "" …
    better: str | None  # HIGHER, LOWER, or NEUTRAL when neither is better (counts, shapes)


_KNOWN: dict[str, MetricInfo] = {
    "output_throughput": MetricInfo("output throughput", "tok/s", HIGHER),
    "total_token_throughput": MetricInfo("total token throughput", "tok/s", HIGHER),
    "prefill_throughput": MetricInfo("prefill throughput", "tok/s", HIGHER),
    "decode_throughput": MetricInfo("decode throughput", "tok/s", HIGHER),
    "request_throughput": MetricInfo("request throughput", "req/s", HIGHER),
    "request_goodput": MetricInfo("request goodput", "req/s", HIGHER),
    "good_requests": MetricInfo("requests within SLO", "", HIGHER),
    "duration_s": MetricInfo("duration", "s", LOWER),
    "padding_ratio": MetricInfo("padding", "%", LOWER),
    "kv_fragmentation": MetricInfo("KV fragmentation", "%", LOWER),
    "kv_utilization": MetricInfo("KV utilization", "%", HIGHER),
    "token_budget_utilization": MetricInfo("token-budget utilization", "%", HIGHER),
    "scheduler_overhead": MetricInfo("scheduler overhead", "%", LOWER),
    "mbu": MetricInfo("MBU", "%", HIGHER),
    "mfu": MetricInfo("MFU", "%", HIGHER),
    "preemptions": MetricInfo("preemptions", "", LOWER),
    "recomputed_tokens": MetricInfo("tokens recomputed after preemption", "", LOWER),
    "recompute_share": MetricInfo("recomputed share of computed tokens", "%", LOWER),
    "peak_kv_reserved_tokens": MetricInfo("peak KV reserved", "tokens", LOWER),
    "peak_kv_memory_bytes": MetricInfo("peak KV memory", "bytes", LOWER),
    "mean_batch_size": MetricInfo("mean batch size", "", NEUTRAL),
    "num_steps": MetricInfo("steps", "", NEUTRAL),
    "completed": MetricInfo("completed requests", "", NEUTRAL),
    "total_input_tokens": MetricInfo("input tokens", "", NEUTRAL),
    "total_output_tokens": MetricInfo("output tokens", "", NEUTRAL),
}
_LATENCY_WORDS = {"ttft": "TTFT", "tpot": "TPOT", "itl": "ITL", "e2el": "E2E latency"}


def metric_info(name: str) -> MetricInfo:
    if name in _KNOWN:
        return _KNOWN[name]
    if name in LATENCY_METRICS:
        stat, kind, _ = name.split("_")
        return MetricInfo(f"{_LATENCY_WORDS[kind]} {stat}", "ms", LOWER)
    return MetricInfo(name.replace("_", " "), "", NEUTRAL)


def format_value(name: str, value) -> str:
    """A metric's value as a reader wants it: percent for fractions, thousands separators, '–' for none."""
    if value is None or value != value:  # None or NaN
        return "–"
    unit = metric_info(name).unit
    if unit == "%":
        return f"{100 * value:.1f}%"
    if unit == "bytes":
        return f"{value / 2**20:,.1f} MiB"
    if float(value).is_integer():
        return f"{value:,.0f}"
    digits = 2 if abs(value) >= 10 else 3
    return f"{value:,.{digits}f}"
