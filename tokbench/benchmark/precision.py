"""Rounds until the figures are precise enough: `--target-precision P` (with `--repeats` as the least
and `--max-repeats` as the most rounds).

After each round from the least on, every run's output throughput is looked at: once the 95%
interval of each is within ±P% of its median, no more rounds are run. This is a fixed-width
sequential interval (Chow and Robbins, 1965): the rule looks at the interval's width, never at where
it lies, so it cannot stop on a lucky winner. On a machine that will not settle, the most rounds
are run and the results say the target was not reached, with each run's precision.
"""

from __future__ import annotations

import math

from tokbench.metrics.intervals import estimate

METRIC = "output_throughput"  # the headline figure every verdict starts from
DEFAULT_MAX_REPEATS = 10
LEAST_ROUNDS = 2  # an interval needs two rounds


def least_rounds(repeats: int, target: float | None) -> int:
    return max(repeats, LEAST_ROUNDS) if target is not None else repeats


def most_rounds(repeats: int, target: float | None, max_repeats: int | None) -> int:
    if target is None:
        return repeats
    return max_repeats if max_repeats is not None else max(DEFAULT_MAX_REPEATS, repeats)


def half_widths(summaries: dict[str, list[dict]]) -> dict[str, float]:
    """Each run's 95% interval half-width of its output throughput, in percent of the median (NaN with
    fewer than two rounds)."""
    return {name: 100 * estimate(s.get(METRIC) for s in rounds).relative_half_width
            for name, rounds in summaries.items()}


def reached(widths: dict[str, float], target: float) -> bool:
    return bool(widths) and all(w <= target for w in widths.values())  # NaN is never <= target


def record(target: float, rounds: int, most: int, widths: dict[str, float]) -> dict:
    """The results' `precision` entry: what was asked, what was run, and what came out."""
    return {"metric": METRIC, "target_percent": target, "max_repeats": most, "rounds": rounds,
            "reached": reached(widths, target),
            "half_width_percent": {name: None if math.isnan(w) else w for name, w in widths.items()}}


def line(precision: dict) -> str:
    """One line for the reader, e.g. 'precision: target ±5% reached after 7 rounds (tokenmaxxing ±3.1%, …)'."""
    widths = ", ".join(f"{name} ±{w:.1f}%" if w is not None else f"{name}: one round, no interval"
                       for name, w in precision["half_width_percent"].items())
    rounds, target = precision["rounds"], precision["target_percent"]
    if precision["reached"]:
        return f"precision: target ±{target:g}% of output throughput reached after {rounds} rounds ({widths})"
    return (f"precision: target ±{target:g}% of output throughput not reached in {rounds} rounds, the most "
            f"--max-repeats allows ({widths}); verdicts use the intervals as they are")
