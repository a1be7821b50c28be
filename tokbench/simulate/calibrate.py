"""`calibrate`: fit the linear cost model to the steps of measured runs, and say how well it fits.

What is fitted is each step's *cycle*: the loop time the step stands for, from the end of the step
before (or from the arrival the loop was idly waiting for) to its own end, so planning and
bookkeeping are in it and a simulation's clock adds up to the measured one. The fit is
non-negative least squares on relative errors (each step weighs the same, short or long).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from tokbench.errors import UserError
from tokbench.model.config import ModelConfig
from tokbench.results import load_results
from tokbench.simulate.coverage import RANGES, feature_ranges
from tokbench.simulate.features import feature_matrix
from tokbench.simulate.linear import COEFFICIENTS, LinearStepModel
from tokbench.simulate.target import Target

TORCH_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def step_cycles(steps: pd.DataFrame, arrival_s: np.ndarray) -> np.ndarray:
    """Seconds of loop time each measured step stands for (steps in order, one run)."""
    end = steps["end_s"].to_numpy(dtype=float)
    began = steps["start_s"].to_numpy(dtype=float) - steps["schedule_s"].to_numpy(dtype=float)
    previous_end = np.concatenate([[0.0], end[:-1]])
    arrivals = np.sort(np.asarray(arrival_s, dtype=float))
    # The latest arrival at or before the iteration began: if the loop slept, it slept until then.
    i = np.searchsorted(arrivals, began, side="right") - 1
    latest = np.where(i >= 0, arrivals[np.maximum(i, 0)], 0.0)
    return end - np.maximum(previous_end, latest)


@dataclass(frozen=True)
class MeasuredRun:
    label: str  # "DIR:run", or "DIR:run#round" for each round of a run measured with --repeats
    steps: pd.DataFrame
    cycles: np.ndarray


def run_rounds(label: str, steps: pd.DataFrame, requests: pd.DataFrame) -> list[MeasuredRun]:
    """One MeasuredRun per round of a run: with --repeats every round restarts its clock and step count,
    so cycles are only defined within a round (its own steps, its own arrivals)."""
    if "round" not in steps or steps["round"].nunique() <= 1:
        steps = steps.sort_values("step", ignore_index=True)
        return [MeasuredRun(label, steps, step_cycles(steps, requests["arrival_s"]))]
    out = []
    for number, part in steps.groupby("round", sort=True):
        part = part.sort_values("step", ignore_index=True)
        arrivals = requests.loc[requests["round"] == number, "arrival_s"]
        out.append(MeasuredRun(f"{label}#{number}", part, step_cycles(part, arrivals)))
    return out


def _target(doc: dict, where: str) -> Target:
    config, env = doc["config"], doc["environment"]
    try:
        model = ModelConfig(**config["model"]["config"])
        dtype = TORCH_DTYPES[config["model"]["dtype"]]
        peaks = config["peaks"]
        return Target(model, dtype, peaks.get("device_name") or env.get("device_name") or "unknown",
                      peaks.get("peak_bandwidth"), peaks.get("peak_flops"))
    except (KeyError, TypeError) as exc:
        raise UserError(f"{where}: results lack the model or peaks a cost model needs ({exc})") from None


def measured_runs(paths: list[str | Path]) -> tuple[Target, list[MeasuredRun], dict]:
    """The tokbench runs with steps in these results directories, their common target and scheduler."""
    if not paths:
        raise UserError("calibrate: give at least one results directory")
    target, scheduler, runs = None, None, []
    for path in paths:
        res = load_results(path)
        here = _target(res.doc, str(res.path))
        if target is None:
            target, scheduler = here, res.doc["config"]["scheduler"]
        elif (here.model, here.dtype, here.device_name) != (target.model, target.dtype, target.device_name):
            raise UserError(f"{res.path}: measured {here.model.name} {here.dtype} on {here.device_name}, unlike "
                            f"{target.model.name} {target.dtype} on {target.device_name} before it; "
                            "fit one cost model per model and device")
        for name in res.run_names:
            run = res.run(name)
            if run.info.get("backend", "tokbench") != "tokbench" or run.steps.empty:
                continue
            runs += run_rounds(f"{path}:{name}", run.steps, run.requests)
    if not runs:
        raise UserError(f"calibrate: no tokbench run with steps in {', '.join(map(str, paths))}")
    return target, runs, scheduler


def fit_seconds(features: np.ndarray, seconds: np.ndarray) -> dict[str, float]:
    """Non-negative coefficients minimising the squared relative error of every step."""
    keep = seconds > 0
    x = np.column_stack([np.ones(keep.sum()), features[keep]]) / seconds[keep, None]
    scale = np.linalg.norm(x, axis=0)
    scale[scale == 0] = 1.0  # a feature that is always zero gets coefficient 0
    coef, _ = nnls(x / scale, np.ones(keep.sum()))
    return dict(zip(COEFFICIENTS, (coef / scale).tolist()))


def fit_errors(model: LinearStepModel, runs: list[MeasuredRun]) -> dict:
    """Per run and overall: relative step error (median, p90 of |predicted / measured - 1|) and the
    error of the run's total time (sum predicted / sum measured - 1)."""
    def errors(predicted: np.ndarray, measured: np.ndarray) -> dict:
        rel = np.abs(predicted / measured - 1.0)
        return {"steps": int(len(measured)), "step_error_median": float(np.median(rel)),
                "step_error_p90": float(np.percentile(rel, 90)),
                "duration_error": float(predicted.sum() / measured.sum() - 1.0)}

    per_run, all_pred, all_meas = {}, [], []
    for run in runs:
        predicted = model.predict(feature_matrix(run.steps))
        per_run[run.label] = errors(predicted, run.cycles)
        all_pred.append(predicted)
        all_meas.append(run.cycles)
    overall = errors(np.concatenate(all_pred), np.concatenate(all_meas))
    overall["worst_duration_error"] = max((abs(r["duration_error"]) for r in per_run.values()), default=0.0)
    return {"runs": per_run, "overall": overall}


def calibrate(paths: list[str | Path]) -> LinearStepModel:
    """A linear cost model fitted to every tokbench run in `paths` (one model, one device)."""
    target, runs, scheduler = measured_runs(paths)
    features = np.concatenate([feature_matrix(r.steps) for r in runs])
    cycles = np.concatenate([r.cycles for r in runs])
    unfitted = LinearStepModel(target, fit_seconds(features, cycles))
    fit = {"sources": [str(p) for p in paths], "runs": [r.label for r in runs], "scheduler": scheduler,
           "method": "non-negative least squares on relative step-cycle error",
           "errors": fit_errors(unfitted, runs), RANGES: feature_ranges(features)}
    return LinearStepModel(target, unfitted.seconds, fit)
