"""Arrival processes for synthetic workloads: when each request arrives, in seconds from t=0."""

from __future__ import annotations

import numpy as np

from tokbench.errors import UserError

PROCESSES = ("offline", "poisson", "gamma", "constant", "ramp")


def _positive(spec: dict, key: str, where: str) -> float:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UserError(f"{where}: '{key}' must be a positive number, got {value!r}")
    return float(value)


def _from_gaps(gaps: np.ndarray) -> np.ndarray:
    # The first request arrives at t=0; the rest follow the gaps.
    return np.concatenate([[0.0], np.cumsum(gaps[1:])]) if gaps.size else gaps


def arrival_times(spec: dict, n: int, rng: np.random.Generator, where: str = "arrival") -> np.ndarray:
    """Draw n arrival times for an arrival spec such as {"process": "poisson", "rate": 4}.

    - offline: all at t=0.
    - poisson: exponential gaps at `rate` req/s.
    - gamma: gamma gaps at `rate` with coefficient of variation `cv` (>1 bursty, <1 regular).
    - constant: evenly spaced at `rate`.
    - ramp: Poisson whose rate moves linearly from `start_rate` to `end_rate` across the requests.
    """
    process = spec.get("process", "offline") if isinstance(spec, dict) else None
    if process == "offline":
        return np.zeros(n)
    if process == "poisson":
        return _from_gaps(rng.exponential(1.0 / _positive(spec, "rate", where), n))
    if process == "gamma":
        rate, cv = _positive(spec, "rate", where), _positive(spec, "cv", where)
        shape = 1.0 / cv**2  # a gamma with shape k has CV 1/sqrt(k)
        return _from_gaps(rng.gamma(shape, 1.0 / (rate * shape), n))
    if process == "constant":
        return np.arange(n) / _positive(spec, "rate", where)
    if process == "ramp":
        start, end = _positive(spec, "start_rate", where), _positive(spec, "end_rate", where)
        rates = np.linspace(start, end, n) if n > 1 else np.array([start])
        return _from_gaps(rng.exponential(1.0, n) / rates)
    raise UserError(f"{where}: unknown process {process!r} (one of {', '.join(PROCESSES)})")
