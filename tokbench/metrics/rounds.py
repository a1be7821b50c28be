"""A run repeated in rounds: its per-round summaries as one summary with intervals, and runs compared.

`tokbench run --repeats N` serves the workload N times per strategy. A run's `summary` is then the
per-metric median over its rounds, `rounds` keeps every round's own summary, and comparisons of two
runs are made round by round (paired) when both ran in the same rounds of one benchmark, otherwise
(two results directories) as independent samples. The statistics are tokbench/metrics/intervals.py.
"""

from __future__ import annotations

import statistics

from tokbench.metrics.intervals import (
    Estimate,
    estimates_by_metric,
    ratio_estimate,
    unpaired_ratio_estimate,
)

# The figures a reader compares strategies on; results.json stores their paired ratios.
RATIO_METRICS = ("output_throughput", "total_token_throughput", "request_throughput", "median_ttft_ms",
                 "p99_ttft_ms", "median_tpot_ms", "p99_tpot_ms", "median_e2el_ms", "p99_e2el_ms",
                 "peak_kv_reserved_tokens")


def aggregate(rounds: list[dict]) -> tuple[dict, dict[str, Estimate]]:
    """(summary, intervals): the per-metric median over rounds, and each metric's 95% interval.

    The median is taken metric by metric, so with several rounds the summary need not be any one
    round's; with a single round it is that round's summary."""
    if len(rounds) == 1:
        return dict(rounds[0]), estimates_by_metric(rounds)
    intervals = estimates_by_metric(rounds)
    return {k: e.median for k, e in intervals.items()}, intervals


def rounds_of(entry: dict) -> list[dict]:
    """A results.json run entry's per-round summaries (results written before rounds: its one summary)."""
    return entry.get("rounds") or [entry["summary"]]


def rounds_spread(rounds: list[dict], metric: str) -> float:
    """How far apart a metric's rounds were: half their range as a share of their median (NaN with
    fewer than two rounds). A prediction, like any one more round, can be expected within about it."""
    values = sorted(float(r[metric]) for r in rounds if r.get(metric) is not None)
    if len(values) < 2:
        return float("nan")
    middle = statistics.median(values)
    return (values[-1] - values[0]) / 2 / abs(middle) if middle else float("nan")


def ratio(a_rounds: list[dict], b_rounds: list[dict], metric: str, *, paired: bool) -> Estimate:
    """metric of A ÷ metric of B: per round when `paired` (both ran in each round of one benchmark),
    else as independent samples."""
    a, b = [r.get(metric) for r in a_rounds], [r.get(metric) for r in b_rounds]
    if paired and len(a) == len(b):
        return ratio_estimate(a, b)
    return unpaired_ratio_estimate(a, b)


def paired_ratios(runs: dict[str, list[dict]], metrics=RATIO_METRICS) -> dict[str, dict[str, dict[str, dict]]]:
    """{a: {b: {metric: a ÷ b as {median, lo, hi, n}}}} for every ordered pair of runs of one benchmark."""
    return {a: {b: {m: ratio(ra, rb, m, paired=True).to_dict() for m in metrics}
                for b, rb in runs.items() if b != a}
            for a, ra in runs.items()}
