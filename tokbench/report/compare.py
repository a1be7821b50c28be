"""Per-metric deltas between two runs: B (the candidate) against A (the reference)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tokbench.report.metric_info import HIGHER, format_value, metric_info
from tokbench.report.tables import TextTable

# What `tokbench compare` shows unless --all: the figures a reader decides on.
KEY_METRICS = (
    "output_throughput", "total_token_throughput", "request_throughput", "prefill_throughput", "decode_throughput",
    "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms", "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms",
    "median_itl_ms", "p99_itl_ms", "median_e2el_ms", "p99_e2el_ms", "duration_s", "padding_ratio",
    "kv_fragmentation", "kv_utilization", "token_budget_utilization", "preemptions", "peak_kv_memory_bytes",
    "num_steps", "mean_batch_size",
)


@dataclass(frozen=True)
class Delta:
    metric: str
    a: float | None
    b: float | None
    verdict: str  # "better", "worse", "same", or "" when the metric has no better direction or no value

    @property
    def change(self) -> float | None:
        return None if _missing(self.a) or _missing(self.b) else self.b - self.a

    @property
    def relative(self) -> float | None:
        change = self.change
        if change is None or self.a == 0:
            return None
        return change / abs(self.a)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def judge(a: float | None, b: float | None, better: str | None, tolerance: float) -> str:
    """better/worse/same for B against A; a relative change within `tolerance` is "same"."""
    if _missing(a) or _missing(b) or better is None:
        return ""
    if a == b or (a != 0 and abs(b - a) / abs(a) <= tolerance):
        return "same"
    return "better" if (b > a) == (better == HIGHER) else "worse"


def deltas(a: dict, b: dict, metrics: list[str], tolerance: float) -> list[Delta]:
    return [Delta(m, a.get(m), b.get(m), judge(a.get(m), b.get(m), metric_info(m).better, tolerance))
            for m in metrics]


def metrics_to_compare(a: dict, b: dict, chosen: list[str] | None, everything: bool) -> list[str]:
    if chosen:
        return chosen
    both = [m for m in a if m in b]
    return both if everything else [m for m in KEY_METRICS if m in a and m in b]


def _signed(metric: str, change: float) -> str:
    unit = metric_info(metric).unit
    if unit == "%":  # fractions: the change is in percentage points
        return f"{100 * change:+.1f} pp"
    return ("+" if change >= 0 else "-") + format_value(metric, abs(change))


def delta_table(rows: list[Delta], a_label: str, b_label: str) -> TextTable:
    body = []
    for d in rows:
        change, rel = d.change, d.relative
        body.append([
            d.metric,
            format_value(d.metric, d.a), format_value(d.metric, d.b),
            "–" if change is None else _signed(d.metric, change),
            "–" if rel is None else f"{100 * rel:+.1f}%",
            d.verdict or "–",
        ])
    return TextTable(["metric", a_label, b_label, "change", "relative", "B vs A"], body)
