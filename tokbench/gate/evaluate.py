"""Hold a candidate to the baseline's rules, each in the way it can be judged here.

- exact: a figure of the schedule (steps, padding, preemptions, identical tokens) of an offline
  workload does not depend on the machine: the candidate's value against the stored value.
- stored: a timing figure on the machine the baseline was recorded on: the median of the
  candidate's rounds (or the per-step median) against the stored value and its limit.
- A/B: a timing figure against a reference tokbench run in the same rounds on this machine: the
  paired per-round ratio candidate ÷ reference; a regression only when its whole interval is
  below 1 − threshold (above 1 + threshold for lower-is-better).
- skipped: a timing figure that can be judged neither way here (another machine, no reference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from tokbench.gate.baseline import PER_STEP_MEDIAN, Baseline, Rule
from tokbench.gate.expression import evaluate, run_summary
from tokbench.gate.steady import per_step_median_summary
from tokbench.metrics.intervals import Estimate, estimate, ratio_estimate
from tokbench.report.metric_info import HIGHER
from tokbench.results import Results

PASS, REGRESSION, IMPROVED, SKIPPED = "pass", "regression", "improved", "skipped"
EXACT, STORED, AB = "exact", "stored", "A/B"


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    mode: str  # EXACT, STORED, AB, or SKIPPED's reason in `note`
    values: list[float]  # the candidate's value in each round
    candidate: Estimate  # what is judged for exact/stored; the candidate's spread for A/B
    ratio: Estimate | None = None  # A/B: candidate ÷ reference per round
    reference: float | None = None  # A/B: the reference's median
    point: float | None = None  # exact/stored: the value judged (median or per-step median)
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.mode == SKIPPED:
            return SKIPPED
        if self.mode == AB:
            return self._ab_verdict()
        r, value = self.rule, self.point
        if value is None or math.isnan(value) or not r.passes(value):
            return REGRESSION
        return IMPROVED if r.improves(value) else PASS

    def _ab_verdict(self) -> str:
        ratio, t = self.ratio, self.rule.ab_tolerance()
        if ratio is None or ratio.n == 0:
            return REGRESSION
        higher = self.rule.better == HIGHER
        worst, best = (ratio.hi, ratio.lo) if higher else (ratio.lo, ratio.hi)
        if not ratio.has_interval:
            worst = best = ratio.median
        if (worst < 1 - t) if higher else (worst > 1 + t):
            return REGRESSION
        return IMPROVED if ((best > 1 + t) if higher else (best < 1 - t)) else PASS

    @property
    def suspect(self) -> bool:
        """A timing figure whose median is past the threshold, whatever its interval says: worth more rounds."""
        if self.mode == AB:
            if self.ratio is None or self.ratio.n == 0:
                return True
            t, m = self.rule.ab_tolerance(), self.ratio.median
            return m < 1 - t if self.rule.better == HIGHER else m > 1 + t
        if self.mode == STORED:
            return self.point is None or math.isnan(self.point) or not self.rule.passes(self.point)
        return False

    @property
    def change(self) -> float | None:
        """Relative change against the baseline value (exact/stored) or the reference (A/B)."""
        if self.mode == AB:
            return None if self.ratio is None or math.isnan(self.ratio.median) else self.ratio.median - 1
        base = self.rule.value
        if not base or self.point is None or math.isnan(self.point):
            return None
        return (self.point - base) / abs(base)

    def explain(self) -> str:
        r = self.rule
        if self.mode == SKIPPED:
            return f"{r.name}: not judged ({self.note})"
        if self.mode == AB:
            if self.ratio is None or self.ratio.n == 0:
                return f"{r.name}: no value in the candidate or the reference"
            q = self.ratio
            span = f" [{q.lo:.3f}, {q.hi:.3f}]" if q.has_interval else ""
            side = "at least" if r.better == HIGHER else "at most"
            bound = 1 - r.ab_tolerance() if r.better == HIGHER else 1 + r.ab_tolerance()
            return (f"{r.name}: candidate ÷ reference {q.median:.3f}{span} over {q.n} rounds; the rule wants "
                    f"{side} {bound:.3f} ({r.better} is better, threshold {r.threshold_text()})")
        if self.point is None or math.isnan(self.point):
            return f"{r.name}: no value in the candidate (an undefined metric or a zero denominator)"
        change = "" if self.change is None else f" ({self.change:+.1%})"
        side = "at least" if r.better == HIGHER else "at most"
        span = (f", 95% interval [{self.candidate.lo:.4g}, {self.candidate.hi:.4g}]"
                if self.mode == STORED and self.candidate.has_interval else "")
        return (f"{r.name}: {self.point:.4g} against baseline {r.value:.4g}{change}{span}; the rule wants "
                f"{side} {r.limit():.4g} ({r.better} is better, threshold {r.threshold_text()})")


def rule_values(rule: Rule, candidates: list[Results]) -> list[float]:
    return [evaluate(rule.expression, partial(run_summary, res), res.path) for res in candidates]


def judge_on_values(rule: Rule, mode: str, candidates: list[Results]) -> Outcome:
    """An exact or stored judgment of `rule` over the candidate rounds."""
    values = rule_values(rule, candidates)
    est = estimate(values)
    if mode == EXACT:  # deterministic: every judged round has the value (tokens are checked in round 1 only)
        point = est.median
    else:
        point = est.median if values and not any(math.isnan(v) for v in values) else float("nan")
    if rule.over_repeats == PER_STEP_MEDIAN and mode == STORED:
        steady: dict[str, dict] = {}

        def summary_of(run: str) -> dict:
            if run not in steady:
                steady[run] = per_step_median_summary(candidates, run)
            return steady[run]

        point = evaluate(rule.expression, summary_of, "per-step medians")
    return Outcome(rule, mode, values, est, point=point)


def judge_ab(rule: Rule, pairs: list[tuple[Results, Results]]) -> Outcome:
    cand = rule_values(rule, [c for c, _ in pairs])
    ref = rule_values(rule, [r for _, r in pairs])
    return Outcome(rule, AB, cand, estimate(cand), ratio=ratio_estimate(cand, ref), reference=estimate(ref).median)


def skipped(rule: Rule, why: str) -> Outcome:
    from tokbench.metrics.intervals import NO_DATA

    return Outcome(rule, SKIPPED, [], NO_DATA, note=why)


def require_values(baseline: Baseline, rules: list[Rule]) -> None:
    from tokbench.errors import UserError

    missing = [r.name for r in rules if r.value is None]
    if missing:
        raise UserError(f"{baseline.path}: no baseline value for {', '.join(missing)}; record one deliberately "
                        "with `tokbench gate --update-baseline`")
