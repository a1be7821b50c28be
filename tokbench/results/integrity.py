"""Recompute each run's summary from its tables: a stored figure that disagrees was edited or damaged.

Every summary number is derived from the raw tables (DESIGN.md), so recomputing it with the
metrics code is a complete check, not a checksum that a hand edit could update.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from tokbench.errors import UserError
from tokbench.metrics.cost_model import CostModel
from tokbench.metrics.summary import SLO, summarize
from tokbench.results.table_columns import rows_of

_REL_TOL = 1e-6  # JSON round-trips floats exactly; this only absorbs summation-order noise


def _same(stored, computed) -> bool:
    if stored is None:
        return computed is None or (isinstance(computed, float) and math.isnan(computed))
    if computed is None or (isinstance(computed, float) and math.isnan(computed)):
        return False
    return math.isclose(float(stored), float(computed), rel_tol=_REL_TOL, abs_tol=1e-9)


def _recompute(doc: dict, requests: pd.DataFrame, steps: pd.DataFrame, tokens: pd.DataFrame) -> dict:
    config = doc["config"]
    if len(steps) == 0 or "cost_model" not in config:
        # A peer backend without step records: the request table still fixes the counts.
        return {"completed": len(requests), "total_output_tokens": int(requests["output_len"].sum())}
    peaks = config.get("peaks") or {}
    return summarize(requests, steps, tokens, cost=CostModel(**config["cost_model"]),
                     peak_bandwidth=peaks.get("peak_bandwidth"), peak_flops=peaks.get("peak_flops"),
                     slo=SLO(**config.get("slo", {})))


def check_summaries(file: Path, doc: dict, tables: dict[str, pd.DataFrame]) -> None:
    for run in doc["runs"]:
        name = run["name"]
        rows = {t: rows_of(df, name) for t, df in tables.items()}
        try:
            computed = _recompute(doc, rows["requests"], rows["steps"], rows["tokens"])
        except (TypeError, ValueError, KeyError) as exc:
            raise UserError(f"{file}: run {name!r}: its tables or config cannot be summarized "
                            f"({type(exc).__name__}: {exc})") from None
        for metric, value in computed.items():
            stored = run["summary"].get(metric)
            if metric in run["summary"] and not _same(stored, value):
                raise UserError(f"{file}: run {name!r}: summary {metric} is {stored} but its tables give "
                                f"{value:.6g}; the file was edited or its tables do not belong to it")
