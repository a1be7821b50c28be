"""Percentile summaries named the way vLLM's benchmark names them."""

from __future__ import annotations

import numpy as np

PERCENTILES = (("median", 50), ("p90", 90), ("p99", 99))


def describe_ms(name: str, seconds: np.ndarray) -> dict[str, float]:
    """mean/median/p90/p99 of `seconds`, in milliseconds (NaN when there is nothing to describe)."""
    values = np.asarray(seconds, dtype=float) * 1000.0
    if values.size == 0:
        return {f"{stat}_{name}_ms": float("nan") for stat in ("mean", *dict(PERCENTILES))}
    out = {f"mean_{name}_ms": float(np.mean(values))}
    found = np.percentile(values, [q for _, q in PERCENTILES])  # linear interpolation; one pass for all
    for (label, _), value in zip(PERCENTILES, found):
        out[f"{label}_{name}_ms"] = float(value)
    return out
