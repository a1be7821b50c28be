"""Predict, then measure: simulate what a results directory measured, and compare metric by metric
(`compare` is metrics/predicted.py's, which the report uses too).

The run configuration comes from the measured results (their `run_config`, with the KV budget that
run resolved), so the simulation serves exactly the requests and knobs the measured run served.
"""

from __future__ import annotations

from tokbench.benchmark.config_files import load_config
from tokbench.metrics.predicted import compare  # noqa: F401 (the simulator's API: predict, then compare)
from tokbench.results import Results
from tokbench.simulate.benchmark import simulate_benchmark


def predict_measured(measured: Results, cost_model, *, workers: int = 1) -> Results:
    """The measured run's configuration, simulated with `cost_model` (its tokbench strategies only)."""
    config = load_config(measured.path)
    return simulate_benchmark(config, cost_model, workers=workers, against=measured.path.parent)
