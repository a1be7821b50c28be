"""The statistics behind every verdict: intervals, paired ratios, and when a winner may be named."""

import math
import random

from tokbench.metrics.intervals import estimate, ratio_estimate, ratio_verdict, t975


def test_t_quantiles_match_the_table_and_approach_the_normal():
    assert t975(4) == 2.7764
    assert abs(t975(60) - 2.0003) < 1e-3 and abs(t975(10_000) - 1.96) < 1e-3


def test_interval_of_identical_values_is_a_point_and_widens_with_spread():
    assert estimate([5.0, 5.0, 5.0]).half_width == 0
    narrow, wide = estimate([99, 100, 101, 100, 100]), estimate([80, 100, 120, 100, 100])
    assert narrow.lo < 100 < narrow.hi and wide.half_width > narrow.half_width
    assert math.isclose(narrow.half_width, 2.7764 * math.sqrt(0.5) / math.sqrt(5), rel_tol=1e-9)


def test_a_single_round_has_no_interval_and_no_winner():
    e = estimate([3.0])
    assert not e.has_interval and e.median == 3.0
    assert "names no winner" in ratio_verdict("a", "b", ratio_estimate([2.0], [1.0]))


def test_paired_ratios_cancel_load_that_hits_both_runs_of_a_round():
    rng = random.Random(1)
    load = [rng.uniform(1, 3) for _ in range(6)]  # each round the machine is 1-3x slower, for both runs
    a = [1.3 * 100 / f for f in load]
    b = [100 / f for f in load]
    paired = ratio_estimate(a, b)
    assert math.isclose(paired.median, 1.3) and paired.half_width < 1e-9
    assert not estimate(a).excludes(estimate(b).median)  # unpaired, the same data cannot tell them apart
    assert ratio_verdict("a", "b", paired).startswith("output throughput: a beats b by 30%")


def test_overlapping_interval_is_no_significant_difference():
    r = ratio_estimate([100, 90, 110], [95, 105, 100])
    assert r.lo < 1 < r.hi
    assert "no significant difference" in ratio_verdict("a", "b", r)


def test_lower_is_better_names_the_faster_side():
    r = ratio_estimate([50, 51, 49, 50], [100, 101, 99, 100])  # a's latency is half of b's
    assert "a beats b by 100%" in ratio_verdict("a", "b", r, higher_is_better=False, metric="p99 TTFT")
    assert "b beats a" in ratio_verdict("a", "b", r, higher_is_better=True)
