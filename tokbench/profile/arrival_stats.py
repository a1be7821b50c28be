"""Arrival process summary: rate, burstiness (inter-arrival CV, index of dispersion), idle gaps.

A coarse clock (timestamps rounded to a tick) hides the traffic below the tick: statistics at that
scale are left out (None) rather than reported as burstiness, and burstiness is measured above it.
"""

from __future__ import annotations

import numpy as np

WINDOWS_S = (1.0, 10.0, 60.0, 600.0)
MIN_WINDOWS = 10  # a variance from fewer whole windows is noise, not a property of the traffic
MIN_TICKS_PER_WINDOW = 10  # a window of a few clock ticks measures the clock, not the traffic
TIMELINE_POINTS = 120
TICK_DIGITS = 4  # significant digits of a clock tick
_ROUND_BINS_S = (0.1, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 21600, 86400)


CHUNK = 1 << 20  # rows per step: temporaries stay a few MiB on 10M-row traces


def _counts_per_window(arrival_s: np.ndarray, window_s: float) -> np.ndarray:
    """Arrivals in each window [k*w, (k+1)*w) from t=0 (floor division, like Python's //)."""
    counts = np.zeros(int(arrival_s[-1] // window_s) + 1, dtype=np.int64)
    for start in range(0, arrival_s.size, CHUNK):
        index = (arrival_s[start : start + CHUNK] // window_s).astype(np.int64)
        counts += np.bincount(index, minlength=counts.size)
    return counts


def _timeline_bin(duration_s: float, tick_s: float) -> float:
    # A round bin width giving at most TIMELINE_POINTS points, and no finer than the clock.
    raw = max(duration_s / TIMELINE_POINTS, tick_s)
    return float(next((w for w in _ROUND_BINS_S if w >= raw), raw))


def _significant(value: float, digits: int = TICK_DIGITS) -> float:
    """A tick read from subtracted timestamps carries float noise (2.9969999999998436): keep the
    digits a clock can mean."""
    return float(f"{value:.{digits}g}")


def timestamp_resolution(gaps: np.ndarray) -> float:
    """The clock tick of a coarse trace, else 0.

    Two kinds of coarse clock show in the gaps: most gaps exactly 0 (Mooncake rounds to ~3 s), or
    simultaneous arrivals with every gap a whole multiple of the smallest positive gap (BurstGPT's
    whole seconds: tick 1 s). A constant-rate process has no simultaneous arrivals, so it is not
    mistaken for a clock. Fine clocks (Azure's microseconds) give a tiny tick that changes nothing
    below. A jittery clock (Mooncake's one-tick gaps are 2.997-3.003 s) is read as the median of
    the one-tick gaps (those under 1.5x the smallest), not as its shortest jitter."""
    positive = gaps[gaps > 0]
    if positive.size == 0:
        return 0.0
    smallest = float(positive.min())
    zero_share = 1.0 - positive.size / gaps.size
    if zero_share >= 0.5:
        return _significant(float(np.median(positive[positive < 1.5 * smallest])))
    if zero_share == 0:
        return 0.0
    for start in range(0, positive.size, CHUNK):
        multiples = positive[start : start + CHUNK] / smallest
        if np.any(np.abs(multiples - np.rint(multiples)) > 0.01):
            return 0.0
    return _significant(smallest)


def _interarrival_cv(gaps: np.ndarray, tick: float) -> float | None:
    """CV of the gaps; None when the clock is too coarse for it (mean gap under
    MIN_TICKS_PER_WINDOW ticks: the rounding, not the traffic, would set the figure)."""
    mean = float(gaps.mean())
    if tick > 0 and mean < MIN_TICKS_PER_WINDOW * tick:
        return None
    return float(gaps.std() / mean)


def _dispersion_per_tick(arrival: np.ndarray, tick: float) -> float | None:
    """Burstiness above a coarse clock: arrivals counted per tick (bins centred on the clock's
    readings, so a jittery tick does not split them), variance / mean over the ticks. None with
    fewer than MIN_WINDOWS ticks. Arrivals are sorted, so the counts are run lengths of the bin
    index: memory follows the requests, not the number of ticks."""
    index = np.rint(arrival / tick).astype(np.int64)
    ticks = int(index[-1] - index[0]) + 1
    if ticks < MIN_WINDOWS:
        return None
    runs = np.diff(np.flatnonzero(np.diff(index, prepend=index[0] - 1, append=index[-1] + 1)))
    mean = arrival.size / ticks
    return float((runs.astype(np.float64) ** 2).sum() / ticks - mean**2) / mean


def _window_stats(arrival: np.ndarray, duration: float, tick: float) -> tuple[dict, dict]:
    """Index of dispersion and peak rate per window; None where the window is too short for the
    clock or the trace too short for the window (see MIN_* above)."""
    dispersion, peaks = {}, {}
    for window in WINDOWS_S:
        key = f"{window:g}s"
        fine_enough = window >= MIN_TICKS_PER_WINDOW * tick
        whole = int(duration // window)
        counts = _counts_per_window(arrival, window) if fine_enough and whole >= 1 else None
        peaks[key] = float(counts.max() / window) if counts is not None else None
        if counts is not None and whole >= MIN_WINDOWS:
            full = counts[:whole]  # the last, partial window would look quiet
            dispersion[key] = float(full.var() / full.mean()) if full.mean() > 0 else None
        else:
            dispersion[key] = None
    return dispersion, peaks


def arrival_summary(arrival_s: np.ndarray, *, idle_gap_s: float = 1.0) -> dict | None:
    """None for offline workloads (everything at t=0): there is no arrival process to describe."""
    arrival = np.asarray(arrival_s, dtype=np.float64)
    if arrival[0] != 0:  # loaded workloads already start at 0: no copy of a 10M-row column
        arrival = arrival - arrival[0]
    duration = float(arrival[-1])
    if arrival.size < 2 or duration <= 0:
        return None
    gaps = np.diff(arrival)
    tick = timestamp_resolution(gaps)
    cv = _interarrival_cv(gaps, tick)
    dispersion, peaks = _window_stats(arrival, duration, tick)
    # A gap of one or two ticks is the clock's rounding, not idleness (2.5: no gap sits on the edge).
    threshold = max(idle_gap_s, 2.5 * tick)
    idle = gaps[gaps >= threshold]
    bin_s = _timeline_bin(duration, tick)
    counts = _counts_per_window(arrival, bin_s)
    return {
        "duration_s": duration,
        "timestamp_resolution_s": tick,
        "mean_rate_per_s": float((arrival.size - 1) / duration),  # 1 / mean inter-arrival time
        "peak_rate_per_s": peaks,
        "interarrival_mean_s": float(gaps.mean()),
        "interarrival_cv": cv,
        "zero_gap_fraction": float(np.count_nonzero(gaps == 0) / gaps.size),
        # Only where the CV cannot be measured: then a tick holds several arrivals on average.
        "index_of_dispersion_per_tick": _dispersion_per_tick(arrival, tick) if cv is None else None,
        "index_of_dispersion": dispersion,
        "idle_gaps": {
            "threshold_s": threshold,
            "count": int(idle.size),
            "total_s": float(idle.sum()),
            "longest_s": float(gaps.max()),
            "fraction_of_time": float(idle.sum() / duration),
        },
        "timeline": {"bin_s": bin_s, "rate_per_s": (counts / bin_s).round(4).tolist()},
    }
