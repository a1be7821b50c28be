"""The statistics behind every verdict: intervals, paired ratios, and when a winner may be named."""

import math
import random

import pytest

from tokbench.metrics.intervals import (
    Estimate,
    difference_estimate,
    estimate,
    estimates_by_metric,
    format_ratio,
    ratio_estimate,
    ratio_verdict,
    t975,
    unpaired_ratio_estimate,
)


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


def test_unpaired_ratio_of_clearly_different_runs_excludes_a_tie():
    a, b = [130, 128, 133, 131, 129], [100, 99, 101, 100, 102]
    r = unpaired_ratio_estimate(a, b)
    assert r.median == 130 / 100 and r.lo > 1 and r.n == 5
    assert unpaired_ratio_estimate(a, a).excludes(1.0) is False
    assert not unpaired_ratio_estimate([130], b).has_interval  # one round on a side: no interval


def test_pairing_is_what_lets_shared_load_cancel():
    load = [1.0, 2.0, 1.2, 1.8, 1.5]  # the machine slowed both runs of each round alike
    a, b = [105 / f for f in load], [100 / f for f in load]
    assert ratio_estimate(a, b).excludes(1.0) and not unpaired_ratio_estimate(a, b).excludes(1.0)


def test_difference_handles_figures_that_are_zero():
    padding_a, padding_b = [0.40, 0.41, 0.39], [0.0, 0.0, 0.0]
    assert ratio_estimate(padding_b, padding_a).n == 0  # no ratio of a zero
    d = difference_estimate(padding_a, padding_b, paired=True)
    assert d.median == pytest.approx(-0.40) and d.hi < 0
    u = difference_estimate(padding_a, padding_b, paired=False)
    assert u.median == pytest.approx(-0.40) and u.hi < 0 and u.n == 3


def test_every_metric_of_a_run_gets_its_estimate():
    rounds = [{"x": 1.0, "y": 5.0}, {"x": 3.0, "y": None}, {"x": 2.0, "y": 7.0}]
    e = estimates_by_metric(rounds)
    assert e["x"].median == 2.0 and e["x"].n == 3 and e["y"].n == 2
    assert format_ratio(ratio_estimate([2.0, 2.2], [1.0, 1.0])).startswith("2.10× (")
    assert format_ratio(ratio_estimate([2.0], [1.0])) == "2.00×"


def test_an_interval_that_excludes_a_tie_never_prints_as_touching_it():
    close = Estimate(1.10, 1.0041, 1.15, 5)  # a win, by an interval whose low end rounds to 1.00
    assert "beats" in ratio_verdict("a", "b", close) and "1.100× [1.004, 1.150]" in ratio_verdict("a", "b", close)
    assert format_ratio(close) == "1.100× (1.004–1.150)"
    tiny_win = Estimate(1.004, 1.002, 1.01, 5)  # the median too, and the percentage, get the digits
    assert ratio_verdict("a", "b", tiny_win).startswith("output throughput: a beats b by 0.4% (a ÷ b 1.004× [1.002, 1.010]")
    assert format_ratio(Estimate(0.90, 0.85, 0.99996, 5)) == "0.90000× (0.85000–0.99996)"
    tie = Estimate(1.02, 0.998, 1.04, 5)  # a tie keeps two decimals
    assert format_ratio(tie) == "1.02× (1.00–1.04)" and "no significant difference" in ratio_verdict("a", "b", tie)


def test_the_spread_of_rounds_is_half_their_range_over_the_median():
    from tokbench.metrics.rounds import rounds_spread

    rounds = [{"ttft": 18.0}, {"ttft": 20.0}, {"ttft": 22.0}, {"ttft": None}]
    assert rounds_spread(rounds, "ttft") == pytest.approx(2.0 / 20.0)
    assert math.isnan(rounds_spread(rounds[:1], "ttft")) and math.isnan(rounds_spread(rounds, "missing"))
