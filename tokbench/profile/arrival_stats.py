"""Arrival process summary: rate, burstiness (inter-arrival CV, index of dispersion), idle gaps."""

from __future__ import annotations

import numpy as np

DISPERSION_WINDOWS_S = (1.0, 10.0, 60.0)
TIMELINE_POINTS = 120


def _counts_per_window(arrival_s: np.ndarray, window_s: float) -> np.ndarray:
    n_windows = int(arrival_s[-1] // window_s) + 1
    return np.bincount((arrival_s // window_s).astype(np.int64), minlength=n_windows)


def _timeline_bin(duration_s: float) -> float:
    # A round bin width giving at most TIMELINE_POINTS points.
    raw = duration_s / TIMELINE_POINTS
    return float(next((w for w in (0.1, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 21600, 86400) if w >= raw), raw))


def _timestamp_resolution(gaps: np.ndarray) -> float:
    """Coarse clocks (Mooncake rounds to ~3 s) show as mostly-zero gaps: then the smallest positive
    gap is the tick, and a gap of a tick or two is rounding, not idleness. 0 for fine clocks."""
    positive = gaps[gaps > 0]
    if positive.size == 0 or (gaps == 0).mean() < 0.5:
        return 0.0
    return float(positive.min())


def arrival_summary(arrival_s: np.ndarray, *, idle_gap_s: float = 1.0) -> dict | None:
    """None for offline workloads (everything at t=0): there is no arrival process to describe."""
    arrival = np.asarray(arrival_s, dtype=np.float64) - float(arrival_s[0])
    duration = float(arrival[-1])
    if arrival.size < 2 or duration <= 0:
        return None
    gaps = np.diff(arrival)
    dispersion = {}
    for window in DISPERSION_WINDOWS_S:
        if duration >= 2 * window:  # at least two windows to have a variance
            counts = _counts_per_window(arrival, window)[: int(duration // window)]  # whole windows only
            dispersion[f"{window:g}s"] = float(counts.var() / counts.mean()) if counts.mean() > 0 else None
    peaks = {f"{w:g}s": float(_counts_per_window(arrival, w).max() / w) for w in DISPERSION_WINDOWS_S if duration >= w}
    resolution = _timestamp_resolution(gaps)
    threshold = max(idle_gap_s, 2 * resolution)
    idle = gaps[gaps >= threshold]
    bin_s = _timeline_bin(duration)
    counts = _counts_per_window(arrival, bin_s)
    return {
        "duration_s": duration,
        "timestamp_resolution_s": resolution,
        "mean_rate_per_s": float((arrival.size - 1) / duration),  # 1 / mean inter-arrival time
        "peak_rate_per_s": peaks,
        "interarrival_mean_s": float(gaps.mean()),
        "interarrival_cv": float(gaps.std() / gaps.mean()),
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
