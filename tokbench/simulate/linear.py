"""The calibrated cost model: a step's time as a non-negative sum of what it does.

    seconds = per_step + Σ_f per_unit[f] × f        f in features.FEATURES

Nine parameters, each a time with a meaning (seconds per step, per token slot, per row, per
query-key pair, per KV token read, per sampled row, per step in the padded layout, and per pair /
key a padded rectangle adds where the backend runs the rectangle); `calibrate` fits them to
measured steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from tokbench.engine.plan import StepPlan
from tokbench.engine.recorder import StepCounts
from tokbench.errors import UserError
from tokbench.simulate.coverage import RANGES
from tokbench.simulate.features import FEATURES, counts_features, plan_features
from tokbench.simulate.target import Target

PER_STEP = "per_step"
COEFFICIENTS = (PER_STEP, *FEATURES)
# Coefficients added after cost files were first shared: a file without one was fitted without its
# feature, which is the same model with the coefficient at 0.
ADDED_LATER = {"padded_steps": 0.0}


@dataclass(frozen=True)
class LinearStepModel:
    kind: ClassVar[str] = "linear"
    target: Target
    seconds: dict[str, float]  # COEFFICIENTS -> seconds per step / per unit of the feature
    fit: dict = field(default_factory=dict, compare=False)  # where it was fitted and how well (calibrate)

    def __post_init__(self) -> None:
        given = {**ADDED_LATER, **self.seconds}
        if set(given) != set(COEFFICIENTS):
            raise UserError(f"linear cost model: coefficients must be exactly {', '.join(COEFFICIENTS)}")
        object.__setattr__(self, "seconds", {name: given[name] for name in COEFFICIENTS})
        for name, value in self.seconds.items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise UserError(f"linear cost model: coefficient {name} = {value!r} must be a finite number >= 0")
        for name, bounds in (self.fit.get(RANGES) or {}).items():
            if not (isinstance(bounds, list) and len(bounds) == 2 and all(
                    isinstance(b, (int, float)) and math.isfinite(b) for b in bounds) and bounds[0] <= bounds[1]):
                raise UserError(f"linear cost model: fit.{RANGES}.{name} = {bounds!r} must be [lowest, highest]")
        object.__setattr__(self, "_w", tuple(float(self.seconds[name]) for name in COEFFICIENTS))

    def step_seconds(self, plan: StepPlan) -> float:
        return self._seconds(plan_features(plan))

    def shape_seconds(self, layout: str, padded_len: int, batch: int, counts: StepCounts):
        """step_seconds of a plan of that shape and those counts; an array of them where counts are arrays."""
        return self._seconds(counts_features(layout, padded_len, batch, counts))

    def _seconds(self, features: tuple) -> float:
        w = self._w
        return w[0] + sum(a * b for a, b in zip(w[1:], features))

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Seconds per step for a feature matrix (features.feature_matrix)."""
        w = np.asarray(self._w)
        return w[0] + features @ w[1:]

    def parameters(self) -> dict:
        return {"seconds": dict(self.seconds), "fit": self.fit}

    @classmethod
    def from_parameters(cls, target: Target, p: dict) -> "LinearStepModel":
        return cls(target, dict(p["seconds"]), p.get("fit", {}))
