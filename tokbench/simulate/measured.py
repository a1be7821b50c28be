"""Predict, then measure: simulate what a results directory measured, and compare metric by metric.

The workload, seed and scheduler knobs come from the measured results (its config block), so the
simulation serves exactly the requests the measured run served, lengths only.
"""

from __future__ import annotations

import math

import pandas as pd

from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.policy import SchedulerConfig
from tokbench.errors import UserError
from tokbench.metrics.summary import SLO
from tokbench.results import Results
from tokbench.simulate.run import SimulatedRun, simulate
from tokbench.workload import WorkloadOptions, load_workload
from tokbench.workload.types import Workload

# The metrics a prediction is judged on (run's summary keys), in the order `compare` prints them.
COMPARED = (
    "duration_s", "output_throughput", "total_token_throughput", "request_throughput",
    "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms", "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms",
    "median_itl_ms", "p99_itl_ms", "median_e2el_ms", "p99_e2el_ms", "prefill_throughput", "decode_throughput",
    "num_steps", "mean_batch_size", "padding_ratio", "kv_fragmentation", "preemptions",
)


def _options(d: dict) -> WorkloadOptions:
    d = dict(d)
    if d.get("window") is not None:
        start, end = d["window"]
        d["window"] = (start, math.inf if end is None else end)
    return WorkloadOptions(**d)


def measured_workload(results: Results) -> Workload:
    """The measured run's requests again, with placeholder prompts of the same lengths."""
    config = results.doc["config"]
    try:
        spec, options = config["workload"]["spec"], _options(config["workload"].get("options", {}))
        return load_workload(spec, seed=config["seed"], vocab_size=config["model"]["config"]["vocab_size"],
                             max_model_len=config["scheduler"]["max_model_len"], options=options, lengths_only=True)
    except (KeyError, TypeError) as exc:
        raise UserError(f"{results.path}: cannot rebuild the measured workload ({exc})") from None


def measured_scheduler(results: Results) -> SchedulerConfig:
    try:
        config = SchedulerConfig(**results.doc["config"]["scheduler"])
    except (KeyError, TypeError) as exc:
        raise UserError(f"{results.path}: cannot read the measured scheduler knobs ({exc})") from None
    config.validate()
    return config


def measured_slo(results: Results) -> SLO:
    return SLO(**results.doc["config"].get("slo", {}))


def predict_measured(results: Results, cost_model, *, workers: int = 1) -> list[SimulatedRun]:
    """Simulate every tokbench strategy run of `results` with its workload and knobs."""
    names = [r["strategy"] for r in results.runs if r.get("backend", "tokbench") == "tokbench"]
    if not names:
        raise UserError(f"{results.path}: no tokbench strategy run to predict")
    workload = measured_workload(results)
    return simulate([resolve(n) for n in names], measured_scheduler(results), workload.requests, cost_model,
                    slo=measured_slo(results), workers=workers)


def compare(predicted: list[SimulatedRun], results: Results, metrics: tuple[str, ...] = COMPARED) -> pd.DataFrame:
    """One row per (run, metric): predicted, measured, relative error (predicted / measured - 1)."""
    rows = []
    for run in predicted:
        measured = results.run(run.name).summary
        for metric in metrics:
            p, m = run.summary.get(metric), measured.get(metric)
            p = float("nan") if p is None else float(p)
            m = float("nan") if m is None else float(m)
            rel = p / m - 1.0 if m and not math.isnan(m) else float("nan")
            rows.append({"run": run.name, "metric": metric, "predicted": p, "measured": m, "relative_error": rel})
    return pd.DataFrame(rows, columns=["run", "metric", "predicted", "measured", "relative_error"])
