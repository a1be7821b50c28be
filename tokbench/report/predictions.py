"""Predicted against measured: a simulated results set beside a measured one, metric by metric."""

from __future__ import annotations

import math

from tokbench.metrics.predicted import compare
from tokbench.report.metric_info import format_value, metric_info
from tokbench.report.tables import TextTable
from tokbench.results.loader import Results

METRICS = ("output_throughput", "total_token_throughput", "median_ttft_ms", "p99_ttft_ms", "median_tpot_ms",
           "median_itl_ms", "median_e2el_ms", "num_steps")


def is_simulated(res: Results) -> bool:
    return "simulation" in res.doc


def prediction_table(results: list[Results]) -> TextTable | None:
    """Rows (run, metric, predicted, measured, error, measured rounds' spread) for every run name a
    simulated and a measured results set share; None when the report has no such pair."""
    rows = []
    for sim in [r for r in results if is_simulated(r)]:
        for real in [r for r in results if not is_simulated(r)]:
            for row in compare(sim, real, METRICS).itertuples():
                label = row.run if len(results) == 2 else \
                    f"{sim.path.parent.name} / {real.path.parent.name}: {row.run}"
                rows.append([label, metric_info(row.metric).label, format_value(row.metric, row.predicted),
                             format_value(row.metric, row.measured), _percent(row.relative_error, "{:+.1%}"),
                             _percent(row.measured_spread, "±{:.1%}")])
    return TextTable(["run", "metric", "predicted", "measured", "error", "measured rounds ±"], rows,
                     align_left=2) if rows else None


def _percent(value: float, template: str) -> str:
    return "–" if math.isnan(value) else template.format(value)
