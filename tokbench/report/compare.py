"""Per-metric changes between two runs: B (the candidate) against A (the reference), judged on evidence.

Each metric's change is B − A with a 95% interval (tokbench/metrics/intervals.py): round by round
when both runs come from the same benchmark, else from each run's own rounds. A change is "better"
or "worse" only where its interval excludes zero; a significant change smaller than the tolerance is
"same". With a single round on either side there is no interval, and no verdict: the change is shown
as a plain delta.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.metrics.intervals import Estimate, difference_estimate
from tokbench.report.evidence import Measured
from tokbench.report.metric_info import HIGHER, format_value, metric_info
from tokbench.report.tables import TextTable, estimate_cell

# What `tokbench compare` shows unless --all: the figures a reader decides on.
KEY_METRICS = (
    "output_throughput", "total_token_throughput", "request_throughput", "prefill_throughput", "decode_throughput",
    "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms", "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms",
    "median_itl_ms", "p99_itl_ms", "median_e2el_ms", "p99_e2el_ms", "duration_s", "padding_ratio",
    "kv_fragmentation", "kv_utilization", "token_budget_utilization", "preemptions", "peak_kv_memory_bytes",
    "num_steps", "mean_batch_size",
)
NO_VERDICT = "no significant difference"
SINGLE_ROUND = "one round on a side: deltas only, no verdict (run both with --repeats N to judge)"


@dataclass(frozen=True)
class Delta:
    metric: str
    a: Estimate
    b: Estimate
    change: Estimate  # B − A
    verdict: str  # "better", "worse", "same", NO_VERDICT, or "" (no interval, no better direction, no value)

    @property
    def relative(self) -> float | None:
        if self.change.n == 0 or not self.a.median or self.a.median != self.a.median:
            return None
        return self.change.median / abs(self.a.median)


def judge(change: Estimate, a_median: float, better: str | None, tolerance: float) -> str:
    """better/worse/same/no significant difference for B against A; "" when it cannot be judged."""
    if better is None or not change.has_interval:
        return ""
    if not change.excludes(0.0):
        return NO_VERDICT
    if a_median and abs(change.median) / abs(a_median) <= tolerance:
        return "same"
    return "better" if (change.median > 0) == (better == HIGHER) else "worse"


def deltas(a: Measured, b: Measured, metrics: list[str], tolerance: float) -> list[Delta]:
    paired = a.source == b.source and a.n == b.n
    out = []
    for m in metrics:
        change = difference_estimate([r.get(m) for r in a.rounds], [r.get(m) for r in b.rounds], paired=paired)
        ea = a.estimate(m)
        out.append(Delta(m, ea, b.estimate(m), change, judge(change, ea.median, metric_info(m).better, tolerance)))
    return out


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


def _change_cell(metric: str, e: Estimate) -> str:
    if e.n == 0 or e.median != e.median:
        return "–"
    text = _signed(metric, e.median)
    return f"{text} [{_signed(metric, e.lo)}, {_signed(metric, e.hi)}]" if e.has_interval else text


def delta_table(rows: list[Delta], a_label: str, b_label: str) -> TextTable:
    judged = any(d.change.has_interval for d in rows)
    body = []
    for d in rows:
        rel = d.relative
        row = [d.metric, estimate_cell(d.metric, d.a), estimate_cell(d.metric, d.b), _change_cell(d.metric, d.change),
               "–" if rel is None else f"{100 * rel:+.1f}%"]
        body.append(row + [d.verdict or "–"] if judged else row)
    header = ["metric", a_label, b_label, "change (95% interval)" if judged else "change", "relative"]
    return TextTable(header + ["B vs A"] if judged else header, body)


def verdict_line(rows: list[Delta]) -> str:
    if not any(d.change.has_interval for d in rows):
        return SINGLE_ROUND
    worse = [d.metric for d in rows if d.verdict == "worse"]
    better = [d.metric for d in rows if d.verdict == "better"]
    n = max(d.change.n for d in rows)
    line = (f"B is better on {len(better)} and worse on {len(worse)} of {len(rows)} metrics; "
            f"{sum(d.verdict == NO_VERDICT for d in rows)} show no significant difference (n = {n})")
    return line + (f" (worse: {', '.join(worse)})" if worse else "")
