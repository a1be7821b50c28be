"""The report's tables as plain rows of text, so markdown, HTML and the terminal render the same thing.

With repeats a cell is the median over rounds ± the half-width of its 95% interval (as a share of the
median), and the `rounds` column says how many rounds each figure rests on.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.metrics.intervals import Estimate, format_ratio
from tokbench.report.collect import LabelledRun
from tokbench.report.evidence import ratio_between
from tokbench.report.metric_info import format_value, metric_info
from tokbench.results.schema import LATENCY_METRICS

SUMMARY_NOTE = ("With several rounds a figure is the median over rounds ± the half-width of its 95% interval; "
                "ratios are taken round by round, with their 95% interval in brackets.")
ABLATION_NOTE = ("Each step against the step above it (×: this step ÷ the one before, round by round, with its 95% "
                 "interval); below 1 is lower, which for latencies and KV is better.")
HEADLINE = ("output_throughput", "total_token_throughput", "request_throughput", "median_ttft_ms", "p99_ttft_ms",
            "median_tpot_ms", "p99_itl_ms", "padding_ratio", "kv_fragmentation", "preemptions", "recompute_share")


@dataclass(frozen=True)
class TextTable:
    header: list[str]
    rows: list[list[str]]
    align_left: int = 1  # leading columns that hold names, not numbers


def _column_title(metric: str) -> str:
    info = metric_info(metric)
    return f"{info.label} ({info.unit})" if info.unit and info.unit != "%" else info.label


def estimate_cell(metric: str, e: Estimate) -> str:
    """'1,234.56 ± 2%' with an interval, else the value alone."""
    text = format_value(metric, e.median)
    if e.has_interval and e.median and e.half_width > 0 and text != "–":
        text += f" ±{100 * e.relative_half_width:.0f}%"
    return text


def headline_table(runs: list[LabelledRun], baseline: LabelledRun | None) -> TextTable:
    header = ["run", "backend", "rounds", *(_column_title(m) for m in HEADLINE)]
    base = baseline.measured if baseline is not None else None
    if base is not None:
        header.append(f"output ÷ {baseline.label}")
    rows = []
    for r in runs:
        m = r.measured
        backend = r.run.info.get("backend", "") + (" (simulated)" if r.run.info.get("simulated") else "")
        row = [r.label, backend, str(m.n)] + [estimate_cell(k, m.estimate(k)) for k in HEADLINE]
        if base is not None:
            row.append("1" if r is baseline else format_ratio(ratio_between(m, base, "output_throughput")))
        rows.append(row)
    return TextTable(header, rows, align_left=2)


def percentile_table(runs: list[LabelledRun]) -> TextTable:
    """One row per latency statistic (TTFT/TPOT/ITL/E2E × mean/p50/p90/p99), one column per run, in ms."""
    ms = [r.measured for r in runs]
    rows = [[metric_info(k).label.replace("median", "p50")] + [estimate_cell(k, m.estimate(k)) for m in ms]
            for k in LATENCY_METRICS]
    return TextTable(["latency (ms)", *(r.label for r in runs)], rows)
