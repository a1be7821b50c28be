"""Whether a calibrated cost model is asked to extrapolate: simulated steps beyond the measured ones.

A linear model fitted on one run's steps knows nothing reliable about steps larger than any it saw.
Measured on the 2-core development machine: fitted on the quick workload, whose decode steps read at
most ~10k KV tokens, it priced high-variance's decode steps (up to 27k) 16% low. `calibrate` records
each feature's measured range in the model's `fit`; `extrapolation_notes` names, per simulated run,
the share of its predicted step time spent in steps larger than any measured (by more than 10% in
some feature), and the features that left the range. A model without ranges (a roofline, or a
file written before ranges were recorded) gets no notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tokbench.simulate.features import FEATURES, feature_matrix

RANGES = "ranges"  # key in a linear model's fit: feature -> [lowest, highest] over the calibration's steps
WORTH_A_NOTE = 0.05  # share of a run's predicted step time beyond the range that earns a note
NAMED = 2  # features named per note, those carrying the most step time beyond the range first
SLACK = 1.10  # a step counts as beyond the range past 110% of the largest calibrated value


def feature_ranges(features: np.ndarray) -> dict[str, list[float]]:
    """Each feature's lowest and highest value over a calibration's steps (features.feature_matrix)."""
    return {name: [float(column.min()), float(column.max())] for name, column in zip(FEATURES, features.T)}


def _beyond(values: np.ndarray, high: float) -> tuple[np.ndarray, str | None]:
    """Steps beyond the calibrated range (SLACK past its largest value), and how far they go, in words.

    Only larger work counts: below the smallest calibrated value the fit still runs down to its
    per-step term, which every step measured; above it, nothing measured bounds the price."""
    out = values > high * SLACK
    if not out.any():
        return out, None
    return out, f"{values[out].max():,.0f} where the calibration's steps reach {high:,.0f}"


def extrapolation_notes(cost_model, steps: pd.DataFrame) -> list[str]:
    """One note per simulated run whose predicted step time is WORTH_A_NOTE or more beyond the model's ranges."""
    ranges = (getattr(cost_model, "fit", None) or {}).get(RANGES)
    if not ranges or steps.empty:
        return []
    notes = []
    for run, part in steps.groupby("run", sort=False, observed=True):
        features, seconds = feature_matrix(part), part["duration_s"].to_numpy(dtype=float)
        total = seconds.sum()
        if total <= 0:
            continue
        outside, named = np.zeros(len(part), dtype=bool), []
        for j, name in enumerate(FEATURES):
            if name not in ranges:
                continue
            out, how = _beyond(features[:, j], ranges[name][1])
            if how is not None:
                outside |= out
                named.append((seconds[out].sum(), f"{name} {how}"))
        share = seconds[outside].sum() / total
        if share >= WORTH_A_NOTE:
            why = "; ".join(text for _, text in sorted(named, reverse=True)[:NAMED])
            notes.append(f"extrapolated: {share:.0%} of {run}'s predicted step time is in steps larger than any "
                         f"the cost model was calibrated on ({why}); predictions there rest on the fit's "
                         "form alone (docs/simulate.md, 'Predict, then measure')")
    return notes
