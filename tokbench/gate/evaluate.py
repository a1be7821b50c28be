"""Hold candidate results to the baseline's rules: the median over repeats against each limit."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import partial

from tokbench.errors import UserError
from tokbench.gate.baseline import PER_STEP_MEDIAN, Baseline, Rule
from tokbench.gate.expression import evaluate, run_summary
from tokbench.gate.steady import per_step_median_summary
from tokbench.report.metric_info import HIGHER
from tokbench.results import Results

PASS, REGRESSION, IMPROVED = "pass", "regression", "improved"


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    values: list[float]  # one per repeat
    candidate: float  # what is judged: their median, or the per-step-median value (NaN: undefined)

    @property
    def verdict(self) -> str:
        if not self.rule.passes(self.candidate):
            return REGRESSION
        # Still a pass, but the baseline no longer describes this build: worth a deliberate update.
        return IMPROVED if self.rule.improves(self.candidate) else PASS

    @property
    def change(self) -> float | None:
        base = self.rule.value
        if not base or math.isnan(self.candidate):
            return None
        return (self.candidate - base) / abs(base)

    def explain(self) -> str:
        r = self.rule
        if math.isnan(self.candidate):
            return f"{r.name}: no value in the candidate (an undefined metric or a zero denominator)"
        change = "" if self.change is None else f" ({self.change:+.1%})"
        side = "at least" if r.better == HIGHER else "at most"
        return (f"{r.name}: {self.candidate:.4g} against baseline {r.value:.4g}{change}; the rule wants "
                f"{side} {r.limit():.4g} ({r.better} is better, threshold {r.threshold_text()})")


def median_of(values: list[float]) -> float:
    return float("nan") if not values or any(math.isnan(v) for v in values) else statistics.median(values)


@dataclass(frozen=True)
class Measured:
    candidate: float  # the value judged
    values: list[float]  # the rule's value in each repeat, for the spread


def measure(baseline: Baseline, candidates: list[Results]) -> dict[str, Measured]:
    """Each rule's value in each candidate results directory, and the value to judge."""
    steady: dict[str, dict] = {}

    def steady_summary(run: str) -> dict:
        if run not in steady:
            for res in candidates:
                run_summary(res, run)  # a missing run is named with its results directory
            steady[run] = per_step_median_summary(candidates, run)
        return steady[run]

    out = {}
    for rule in baseline.rules:
        values = [evaluate(rule.expression, partial(run_summary, res), res.path) for res in candidates]
        if rule.over_repeats == PER_STEP_MEDIAN:
            candidate = evaluate(rule.expression, steady_summary, "per-step medians")
        else:
            candidate = median_of(values)
        out[rule.name] = Measured(candidate, values)
    return out


def judge(baseline: Baseline, measured: dict[str, Measured]) -> list[Outcome]:
    missing = [r.name for r in baseline.rules if r.value is None]
    if missing:
        raise UserError(f"{baseline.path}: no baseline value for {', '.join(missing)}; record one deliberately "
                        "with `tokbench gate --update-baseline`")
    return [Outcome(rule, measured[rule.name].values, measured[rule.name].candidate) for rule in baseline.rules]
