"""A coarse clock is detected, read without float noise or jitter, and never reported as burstiness:
statistics below the tick are left out, burstiness is measured per tick (or said to be unmeasurable)."""

import numpy as np

from tokbench.profile.arrival_stats import arrival_summary, timestamp_resolution


def mooncake_like(ticks: int, per_tick: np.ndarray, jitter_ms: np.ndarray | None = None) -> np.ndarray:
    """Arrivals stamped in ms on a 3 s clock whose one-tick steps are 2999-3001 ms, as Mooncake's are."""
    stamps_ms = np.repeat(np.arange(ticks) * 3000, per_tick)
    if jitter_ms is not None:
        stamps_ms = stamps_ms + np.repeat(jitter_ms, per_tick)
    return (stamps_ms - stamps_ms[0]) / 1000  # how the loader turns ms into seconds


def test_jittery_tick_is_read_as_the_clock_not_its_shortest_jitter():
    rng = np.random.default_rng(0)
    jitter = rng.integers(-3, 4, 400)  # the smallest one-tick gap is 2.994 s
    arrivals = mooncake_like(400, rng.poisson(10, 400) + 1, jitter)
    gaps = np.diff(arrivals)
    assert gaps[gaps > 0].min() < 2.995
    assert timestamp_resolution(gaps) == 3.0


def test_tick_has_no_float_noise():
    arrivals = np.array([0.0, 0.0, 0.0, 2.997, 2.997, 2.997, 5.994, 5.994]) + 1_700_000_000.0
    assert np.diff(arrivals).max() != 2.997  # epoch-scale subtraction leaves float noise
    tick = timestamp_resolution(np.diff(arrivals - arrivals[0]))
    assert tick == 2.997 and repr(tick) == "2.997"


def test_cv_is_not_reported_below_the_tick_and_burstiness_is_measured_per_tick():
    rng = np.random.default_rng(1)
    summary = arrival_summary(mooncake_like(200, rng.poisson(10, 200) + 1))
    assert summary["timestamp_resolution_s"] == 3.0 and summary["zero_gap_fraction"] > 0.85
    assert summary["interarrival_cv"] is None  # a CV of 3 here would describe the clock
    assert 0.5 < summary["index_of_dispersion_per_tick"] < 1.6  # Poisson counts per tick
    assert summary["idle_gaps"]["threshold_s"] == 7.5  # 2.5 ticks, without noise


def test_bursts_above_the_tick_show_in_the_per_tick_dispersion():
    per_tick = np.where(np.arange(200) % 10 == 0, 60, 1)  # a burst every 30 s
    summary = arrival_summary(mooncake_like(200, per_tick))
    assert summary["interarrival_cv"] is None and summary["index_of_dispersion_per_tick"] > 10


def test_too_few_ticks_leave_burstiness_unmeasured():
    summary = arrival_summary(mooncake_like(7, np.full(7, 9)))
    assert summary["interarrival_cv"] is None and summary["index_of_dispersion_per_tick"] is None


def test_a_fine_clock_keeps_the_cv():
    arrivals = np.cumsum(np.random.default_rng(2).exponential(0.5, 500))
    summary = arrival_summary(arrivals)
    assert summary["timestamp_resolution_s"] == 0.0 and summary["index_of_dispersion_per_tick"] is None
    assert 0.8 < summary["interarrival_cv"] < 1.2


def test_whole_seconds_with_sparse_traffic_keep_the_cv():
    """A 1 s clock under gaps of ~30 s barely rounds them: the CV is measured."""
    gaps = np.round(np.random.default_rng(3).exponential(30, 300))
    gaps[::7] = 0  # some simultaneous arrivals, so the clock is detected
    summary = arrival_summary(np.concatenate([[0.0], np.cumsum(gaps)]))
    assert summary["timestamp_resolution_s"] == 1.0 and summary["interarrival_cv"] is not None
