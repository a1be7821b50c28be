"""Predicted against measured, metric by metric: one table for `simulate --against` and the report.

Light on purpose (results and pandas only): the report reads simulated results without loading the
simulator or torch.
"""

from __future__ import annotations

import math

import pandas as pd

from tokbench.metrics.rounds import rounds_spread
from tokbench.results.loader import Results

# The metrics a prediction is judged on (run summary keys), in the order `compare` lists them.
COMPARED = (
    "duration_s", "output_throughput", "total_token_throughput", "request_throughput",
    "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms", "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms",
    "median_itl_ms", "p99_itl_ms", "median_e2el_ms", "p99_e2el_ms", "prefill_throughput", "decode_throughput",
    "num_steps", "mean_batch_size", "padding_ratio", "kv_fragmentation", "preemptions",
)
COLUMNS = ["run", "metric", "predicted", "measured", "relative_error", "measured_spread"]


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def compare(predicted: Results, measured: Results, metrics: tuple[str, ...] = COMPARED) -> pd.DataFrame:
    """One row per (run, metric) of the runs both have: predicted, measured, relative error
    (predicted / measured - 1; NaN where the measured value is 0 or missing), and the measured
    rounds' spread (metrics/rounds.rounds_spread; NaN for a single round): an error within it is
    as close as the measurement repeats itself."""
    rows = []
    for name in [n for n in predicted.run_names if n in measured.run_names]:
        p_summary, real = predicted.run(name).summary, measured.run(name)
        for metric in metrics:
            p, m = _number(p_summary.get(metric)), _number(real.summary.get(metric))
            rel = p / m - 1.0 if m and not math.isnan(m) else float("nan")
            rows.append({"run": name, "metric": metric, "predicted": p, "measured": m, "relative_error": rel,
                         "measured_spread": rounds_spread(real.rounds, metric)})
    return pd.DataFrame(rows, columns=COLUMNS)
