"""Runs as evidence: each run's rounds, compared in pairs, and the sentences a reader may act on.

`tokbench run`, `tokbench report` and `tokbench compare` all judge runs here, with the statistics of
tokbench/metrics/intervals.py: a winner is named only where the 95% interval of a ratio excludes a
tie; otherwise "no significant difference"; a single round names no winner at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.metrics.intervals import Estimate, estimate, ratio_verdict
from tokbench.metrics.rounds import ratio, rounds_of

BASELINE_STRATEGY = "static-padded"  # the batching every serving paper starts from
SINGLE_ROUND = ("one round per run: no intervals, so no winner is named (run with --repeats N, e.g. 5, "
                "to compare)")


@dataclass(frozen=True)
class Measured:
    """A run's per-round summaries; runs of one benchmark share a `source` (its results path, or any
    other hashable key), so their rounds pair."""

    label: str
    rounds: list[dict]
    source: object
    strategy: str | None = None

    @classmethod
    def of(cls, label: str, entry: dict, source: object) -> "Measured":
        """From a results.json run entry."""
        return cls(label, rounds_of(entry), source, entry.get("strategy"))

    def estimate(self, metric: str) -> Estimate:
        return estimate([r.get(metric) for r in self.rounds])

    def medians(self, metrics: tuple[str, ...]) -> dict[str, float]:
        return {m: self.estimate(m).median for m in metrics}

    @property
    def n(self) -> int:
        return len(self.rounds)


def ratio_between(a: Measured, b: Measured, metric: str) -> Estimate:
    """metric of a ÷ metric of b: round by round when both ran in the same rounds of one benchmark."""
    return ratio(a.rounds, b.rounds, metric, paired=a.source == b.source and a.n == b.n)


def baseline_of(runs: list[Measured]) -> Measured | None:
    """What ratios are taken against: the static-padded run when present, else the first run."""
    return next((r for r in runs if BASELINE_STRATEGY in (r.strategy, r.label)), runs[0] if runs else None)


def leader(runs: list[Measured], metric: str = "output_throughput") -> Measured:
    return max(runs, key=lambda r: _or_minus_inf(r.estimate(metric).median))


def _or_minus_inf(value: float) -> float:
    return value if value == value else float("-inf")


def throughput_verdicts(runs: list[Measured]) -> list[str]:
    """The run with the highest median output throughput against every other run, one sentence each."""
    if len(runs) < 2:
        return []
    if all(r.n < 2 for r in runs):
        return [SINGLE_ROUND]
    top = leader(runs)
    return [ratio_verdict(top.label, r.label, ratio_between(top, r, "output_throughput")) for r in runs if r is not top]
