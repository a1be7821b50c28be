"""How many requests would be in flight, under a simple service-time model (no engine run).

A request is assumed busy from its arrival for prompt/prefill_tps + output*tpot seconds. The mean
follows Little's law; the percentiles are the in-flight count each request sees when it arrives.
"""

from __future__ import annotations

import numpy as np

DEFAULT_TPOT_MS = 20.0
DEFAULT_PREFILL_TPS = 10_000.0


def concurrency_estimate(
    arrival_s: np.ndarray,
    prompt_len: np.ndarray,
    output_len: np.ndarray,
    *,
    tpot_ms: float = DEFAULT_TPOT_MS,
    prefill_tps: float = DEFAULT_PREFILL_TPS,
) -> dict:
    # Same order of operations as the docs' formula, so ties round the same way everywhere.
    service = prompt_len / prefill_tps + output_len * tpot_ms / 1000.0
    busy = float(service.sum())
    start = np.asarray(arrival_s, dtype=np.float64)
    ends = np.add(start, service, out=service)  # reuse the buffer: 10M-row traces stay small
    ends.sort()
    # Requests started at or before each arrival, minus those already finished.
    in_flight = np.searchsorted(start, start, side="right")
    in_flight -= np.searchsorted(ends, start, side="right")
    span = float(ends[-1] - start[0])
    return {
        "model": {"tpot_ms": tpot_ms, "prefill_tokens_per_s": prefill_tps},
        "mean": busy / span if span > 0 else float(start.size),
        "p50": float(np.percentile(in_flight, 50)),
        "p99": float(np.percentile(in_flight, 99)),
        "max": int(in_flight.max()),
    }
