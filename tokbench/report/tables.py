"""The report's tables as plain rows of text, so markdown, HTML and the terminal render the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.report.collect import LabelledRun
from tokbench.report.metric_info import format_value, metric_info
from tokbench.results.schema import LATENCY_METRICS

HEADLINE = ("output_throughput", "total_token_throughput", "request_throughput", "median_ttft_ms", "p99_ttft_ms",
            "median_tpot_ms", "p99_itl_ms", "padding_ratio", "kv_fragmentation", "preemptions")


@dataclass(frozen=True)
class TextTable:
    header: list[str]
    rows: list[list[str]]
    align_left: int = 1  # leading columns that hold names, not numbers


def _column_title(metric: str) -> str:
    info = metric_info(metric)
    return f"{info.label} ({info.unit})" if info.unit and info.unit != "%" else info.label


def headline_table(runs: list[LabelledRun], baseline: LabelledRun | None) -> TextTable:
    header = ["run", "backend", *(_column_title(m) for m in HEADLINE)]
    if baseline is not None:
        header.append(f"output vs {baseline.label}")
    rows = []
    for r in runs:
        backend = r.run.info.get("backend", "") + (" (simulated)" if r.run.info.get("simulated") else "")
        row = [r.label, backend] + [format_value(m, r.summary.get(m)) for m in HEADLINE]
        if baseline is not None:
            base, mine = baseline.summary.get("output_throughput"), r.summary.get("output_throughput")
            row.append(f"{mine / base:.2f}×" if base and mine is not None else "–")
        rows.append(row)
    return TextTable(header, rows, align_left=2)


def percentile_table(runs: list[LabelledRun]) -> TextTable:
    """One row per latency statistic (TTFT/TPOT/ITL/E2E × mean/p50/p90/p99), one column per run, in ms."""
    rows = [[metric_info(m).label.replace("median", "p50")] + [format_value(m, r.summary.get(m)) for r in runs]
            for m in LATENCY_METRICS]
    return TextTable(["latency (ms)", *(r.label for r in runs)], rows)
