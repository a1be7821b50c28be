"""Repeated measurements as a center and a 95% interval: one module for run, report, compare and gate.

A metric measured in n rounds is reported as its median with a Student-t 95% interval for its
center. A ratio of two runs (A ÷ B) is computed per round first — paired, so drift and bursts of
load that hit both runs of a round cancel — and its interval is taken on the log scale, so it is
a ratio interval (it never crosses zero and 1/r has the mirrored interval). With a single round
there is no interval and no verdict. One outlier widens the interval: a disturbed repeat makes a
verdict harder to reach, never easier (docs/metrics.md, "Repeats and intervals").
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

CONFIDENCE = 0.95
# Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..30; beyond, a Cornish-Fisher expansion.
_T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788,
         2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
         2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)
_Z975 = 1.959964


def t975(df: int) -> float:
    if df < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class Estimate:
    """A metric over n rounds: the median, and a 95% interval [lo, hi] for its center (NaN if n < 2)."""

    median: float
    lo: float
    hi: float
    n: int

    @property
    def has_interval(self) -> bool:
        return self.n >= 2 and not math.isnan(self.lo)

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2 if self.has_interval else float("nan")

    @property
    def relative_half_width(self) -> float:
        """Half the interval's width as a share of the median (the 'plus or minus' of a figure)."""
        return self.half_width / abs(self.median) if self.median else float("nan")

    def excludes(self, value: float) -> bool:
        return self.has_interval and (self.hi < value or self.lo > value)

    def to_dict(self) -> dict:
        return {"median": self.median, "lo": self.lo, "hi": self.hi, "n": self.n}


NO_DATA = Estimate(float("nan"), float("nan"), float("nan"), 0)


def _clean(values) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def estimate(values) -> Estimate:
    """Median and 95% t-interval of the mean of `values` (NaN and None dropped)."""
    xs = _clean(values)
    if not xs:
        return NO_DATA
    med = statistics.median(xs)
    if len(xs) < 2:
        return Estimate(med, float("nan"), float("nan"), len(xs))
    mean, sd = statistics.fmean(xs), statistics.stdev(xs)
    half = t975(len(xs) - 1) * sd / math.sqrt(len(xs))
    return Estimate(med, mean - half, mean + half, len(xs))


def ratio_estimate(numerators, denominators) -> Estimate:
    """Paired ratio num[i] / den[i] per round: the median ratio and a 95% interval on the log scale."""
    pairs = [(float(a), float(b)) for a, b in zip(numerators, denominators)
             if a is not None and b is not None and not math.isnan(float(a)) and not math.isnan(float(b))]
    ratios = [a / b for a, b in pairs if a > 0 and b > 0]
    if not ratios:
        return NO_DATA
    med = statistics.median(ratios)
    if len(ratios) < 2:
        return Estimate(med, float("nan"), float("nan"), 1)
    logs = [math.log(r) for r in ratios]
    mean, sd = statistics.fmean(logs), statistics.stdev(logs)
    half = t975(len(logs) - 1) * sd / math.sqrt(len(logs))
    return Estimate(med, math.exp(mean - half), math.exp(mean + half), len(ratios))


def _welch(a: list[float], b: list[float]) -> tuple[float, float]:
    """mean(a) − mean(b) and the half-width of its 95% Welch interval (unequal variances, n ≥ 2 each)."""
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    diff, se = statistics.fmean(a) - statistics.fmean(b), math.sqrt(va + vb)
    if se == 0:
        return diff, 0.0
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))  # Welch-Satterthwaite
    return diff, t975(max(1, math.floor(df))) * se


def unpaired_ratio_estimate(numerators, denominators) -> Estimate:
    """Ratio of two runs whose rounds are not paired (different benchmarks, e.g. two results directories):
    the ratio of their medians, with a 95% Welch interval for the ratio of their geometric means."""
    xs, ys = ([v for v in _clean(values) if v > 0] for values in (numerators, denominators))
    if not xs or not ys:
        return NO_DATA
    med = statistics.median(xs) / statistics.median(ys)
    n = min(len(xs), len(ys))
    if n < 2:
        return Estimate(med, float("nan"), float("nan"), n)
    diff, half = _welch([math.log(x) for x in xs], [math.log(y) for y in ys])
    return Estimate(med, math.exp(diff - half), math.exp(diff + half), n)


def difference_estimate(before, after, *, paired: bool) -> Estimate:
    """after − before, for figures that may be zero (padding, preemptions) where a ratio cannot be taken:
    per round when paired (the median difference, a t-interval of the differences), else the difference
    of the medians with a 95% Welch interval for the difference of means."""
    a, b = list(before), list(after)
    if paired and len(a) == len(b):
        keep = [(x, y) for x, y in zip(a, b) if _clean([x]) and _clean([y])]
        return estimate([float(y) - float(x) for x, y in keep])
    xs, ys = _clean(a), _clean(b)
    if not xs or not ys:
        return NO_DATA
    med, n = statistics.median(ys) - statistics.median(xs), min(len(xs), len(ys))
    if n < 2:
        return Estimate(med, float("nan"), float("nan"), n)
    diff, half = _welch(ys, xs)
    return Estimate(med, diff - half, diff + half, n)


def estimates_by_metric(rounds: list[dict]) -> dict[str, Estimate]:
    """Each metric of a run measured in rounds (one summary dict per round): its median and interval."""
    names = dict.fromkeys(k for summary in rounds for k in summary)
    return {k: estimate([summary.get(k) for summary in rounds]) for k in names}


def format_estimate(e: Estimate, fmt: str = "{:,.1f}") -> str:
    """'1,234.5 ± 2.1%' (n ≥ 2) or '1,234.5' (one round)."""
    if math.isnan(e.median):
        return "–"
    text = fmt.format(e.median)
    if e.has_interval:
        text += f" ± {100 * e.relative_half_width:.1f}%"
    return text


def _decimals(e: Estimate) -> int:
    """Two decimals, or as many more as it takes for an interval that excludes 1 not to print as
    touching it ('1.00× [1.00, 1.15]' beside 'beats' reads as a contradiction; it is [1.004, 1.150])."""
    d = 2
    while d < 12 and e.excludes(1.0) and any(round(value, d) == 1.0 for value in (e.median, e.lo, e.hi)):
        d += 1
    return d


def format_ratio(e: Estimate) -> str:
    """'1.36× (1.21–1.52)' (n ≥ 2), '1.36×' (one round, or every round alike)."""
    if e.n == 0:
        return "–"
    if not (e.has_interval and e.half_width > 0):
        return f"{e.median:.2f}×"
    d = _decimals(e)
    return f"{e.median:.{d}f}× ({e.lo:.{d}f}–{e.hi:.{d}f})"


def ratio_verdict(name_a: str, name_b: str, ratio: Estimate, *, higher_is_better: bool = True,
                  metric: str = "output throughput") -> str:
    """One sentence a reader can act on: a winner only where the interval excludes a tie."""
    if ratio.n == 0:
        return f"{metric}: no value to compare for {name_a} and {name_b}"
    if not ratio.has_interval:
        return (f"{metric}: {name_a} ÷ {name_b} = {ratio.median:.2f}× from a single round; one run names no "
                "winner (repeat with --repeats N)")
    d = _decimals(ratio)
    interval = f"{ratio.median:.{d}f}× [{ratio.lo:.{d}f}, {ratio.hi:.{d}f}], n = {ratio.n}"
    if not ratio.excludes(1.0):
        return f"{metric}: no significant difference between {name_a} and {name_b} ({name_a} ÷ {name_b} {interval})"
    a_better = (ratio.lo > 1.0) == higher_is_better
    winner, loser = (name_a, name_b) if a_better else (name_b, name_a)
    factor = max(ratio.median, 1 / ratio.median)  # how far from a tie, whichever side
    return f"{metric}: {winner} beats {loser} by {100 * (factor - 1):.{d - 2}f}% ({name_a} ÷ {name_b} {interval})"
