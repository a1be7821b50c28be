"""Length distribution summary: percentiles by linear interpolation and spread ratios."""

from __future__ import annotations

import numpy as np

PERCENTILES = (10, 50, 90, 99)


def length_summary(lengths: np.ndarray) -> dict:
    values = np.asarray(lengths)  # integers: no float copy of a 10M-row column
    p10, p50, p90, p99 = np.percentile(values, PERCENTILES)  # numpy's default: linear interpolation
    total = int(values.sum(dtype=np.int64))
    mean = total / values.size
    return {
        "count": int(values.size),
        "total": total,
        "mean": mean,
        "min": int(values.min()),
        "p10": float(p10),
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
        "max": int(values.max()),
        # Spread: how unequal neighbours in a batch are likely to be.
        "cv": float(values.std(dtype=np.float64) / mean),
        "p90_over_p10": float(p90 / p10),
        "p99_over_p50": float(p99 / p50),
        "max_over_p50": float(values.max() / p50),
    }
