"""The search's bookkeeping on attainment functions known in closed form (no runs: microseconds)."""

import math

import pytest

from tokbench.sweep.capacity_search import ABOVE_MAX, BELOW_MIN, FAILED, FOUND, UNFINISHED, CapacitySearch
from tokbench.sweep.capacity_settings import CapacitySettings


def _search(attain, **settings) -> CapacitySearch:
    search = CapacitySearch(CapacitySettings(slo={"ttft_ms": 1.0}, **settings))
    while (scale := search.next_scale()) is not None:
        search.record(scale, f"p{len(search.probes)}", attain(scale))
    return search


@pytest.mark.parametrize("capacity", [0.3, 1.0, 1.7, 5.5, 40.0])
@pytest.mark.parametrize("tolerance", [0.02, 0.1])
def test_finds_a_step_threshold_within_the_tolerance(capacity, tolerance):
    search = _search(lambda x: 1.0 if x <= capacity else 0.5, tolerance=tolerance)
    assert search.status() == FOUND
    lo, hi = search.lo, search.hi
    assert lo <= capacity < hi
    assert hi <= lo * (1 + tolerance) * (1 + 1e-6)
    assert search.non_monotone() == []
    # Bracketing doubles/halves from 1, then bisection halves log(hi/lo) each probe.
    assert len(search.probes) <= abs(math.log2(capacity)) + 2 + math.log2(math.log(2) / math.log(1 + tolerance)) + 2


def test_a_smooth_attainment_curve_crosses_the_target_where_expected():
    # Attainment falls linearly from 1 at x=1 to 0 at x=3: 90% is reached at x = 1.2.
    search = _search(lambda x: min(1.0, max(0.0, (3 - x) / 2)), attainment=0.9, tolerance=0.01)
    assert search.lo <= 1.2 < search.hi and search.hi / search.lo <= 1.01 + 1e-9


def test_out_of_range_and_out_of_probes_say_so():
    assert _search(lambda x: 1.0, max_scale=8.0).status() == ABOVE_MAX
    high = _search(lambda x: 1.0, max_scale=8.0)
    assert high.lo == 8.0 and high.hi is None and [p.scale for p in high.probes] == [1, 2, 4, 8]
    low = _search(lambda x: 0.0, min_scale=0.25)
    assert low.status() == BELOW_MIN and low.lo is None and low.hi == 0.25
    assert _search(lambda x: 1.0 if x < 3 else 0.0, tolerance=0.001, max_probes=5).status() == UNFINISHED


def test_a_failed_probe_ends_the_search_with_its_reason():
    search = CapacitySearch(CapacitySettings(slo={"ttft_ms": 1.0}))
    search.record(search.next_scale(), "p0", None, error="point raised")
    assert search.status() == FAILED and search.next_scale() is None
    assert search.to_dict()["error"] == "point raised"


def test_non_monotone_attainment_is_reported_not_hidden():
    # Falls to 60% above x=2.2 but recovers to 85% above 2.5 (still failing), then 20% at 4.
    search = _search(lambda x: 0.2 if x >= 4 else 0.85 if x > 2.5 else 0.6 if x > 2.2 else 0.95,
                     attainment=0.9, tolerance=0.02)
    assert search.status() == FOUND and search.lo <= 2.2 < search.hi
    notes = search.non_monotone()
    assert notes == ["attainment rose from 60% at ×2.37842 to 85% at ×2.82843"]
    assert search.to_dict()["non_monotone"] == notes


def test_a_pass_above_a_fail_is_flagged_as_ambiguous():
    search = CapacitySearch(CapacitySettings(slo={"ttft_ms": 1.0}))
    search.record(1.0, "a", 0.5)
    search.record(2.0, "b", 0.95)  # as if another run of the sweep had probed above the failure
    assert search.non_monotone()[0] == "×2 passed above ×1, which failed: the capacity is ambiguous"
