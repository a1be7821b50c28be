"""The rich tables `tokbench run` prints: a summary per strategy, the verdicts, and the token-identity check.

Metrics are rows and runs are columns. With repeats a cell is the median over rounds ± the half-width
of its 95% interval (as a share of the median); the verdicts below the table name a winner only
where a ratio's interval excludes a tie (tokbench/report/evidence.py).
"""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from tokbench.metrics.intervals import Estimate, format_ratio
from tokbench.report.ablation import ablation_table, attribution, ladder
from tokbench.report.evidence import Measured, baseline_of, ratio_between, throughput_verdicts
from tokbench.metrics.thrash import THRASH_METRICS, thrash_advice
from tokbench.report.terminal import console_for_tables, print_table

# (label, summary key, format): "n" number, "n2" two decimals, "pct" a fraction shown as %, "int" a count
SUMMARY_ROWS = [
    ("output tok/s", "output_throughput", "n"),
    ("total tok/s", "total_token_throughput", "n"),
    ("requests/s", "request_throughput", "n2"),
    ("prefill tok/s", "prefill_throughput", "n"),
    ("decode tok/s", "decode_throughput", "n"),
    ("TTFT p50 ms", "median_ttft_ms", "n"),
    ("TTFT p99 ms", "p99_ttft_ms", "n"),
    ("TPOT p50 ms", "median_tpot_ms", "n2"),
    ("TPOT p99 ms", "p99_tpot_ms", "n2"),
    ("ITL p50 ms", "median_itl_ms", "n2"),
    ("E2E p50 ms", "median_e2el_ms", "n"),
    ("E2E p99 ms", "p99_e2el_ms", "n"),
    ("padding", "padding_ratio", "pct"),
    ("KV fragmentation", "kv_fragmentation", "pct"),
    ("peak KV tokens", "peak_kv_reserved_tokens", "int"),
    ("token budget util", "token_budget_utilization", "pct"),
    ("mean batch", "mean_batch_size", "n"),
    ("preemptions", "preemptions", "int"),
    ("recomputed", "recompute_share", "pct"),
    ("MBU", "mbu", "pct"),
    ("MFU", "mfu", "pct"),
]


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "int":
        return f"{value:,.0f}"
    return f"{value:,.{2 if kind == 'n2' else 1}f}"


def _cell(e: Estimate, kind: str) -> str:
    """The median, and ± its interval's half-width as a share of it (none when every round agreed)."""
    text = _fmt(e.median, kind)
    if e.has_interval and e.half_width > 0 and text != "–":
        text += f" ±{100 * e.relative_half_width:.0f}%" if e.median else f" ±{_fmt(e.half_width, kind)}"
    return text


def print_summary(runs: list[dict], title: str = "tokbench run: summary") -> None:
    """`runs`: the run entries of results.json (name, summary, rounds, ...), all of one benchmark."""
    measured = [Measured.of(r["name"], r, source="this run") for r in runs]
    n = max((m.n for m in measured), default=1)
    if n > 1:
        title += f" (median of {n} rounds ± half-width of the 95% interval)"
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for r in runs:
        table.add_column(r["name"], justify="right")
    for label, key, kind in SUMMARY_ROWS:
        table.add_row(label, *(_cell(m.estimate(key), kind) for m in measured))
    if n > 1:
        table.add_row("rounds", *(str(m.n) for m in measured))
    base = baseline_of(measured)
    if base is not None:
        ratios = ("1" if m is base else format_ratio(ratio_between(m, base, "output_throughput")) for m in measured)
        table.add_row(f"output ÷ {base.label}", *ratios)
    console = console_for_tables()
    console.print(table)
    for line in throughput_verdicts(measured):
        console.print(line, soft_wrap=True)
    for m in measured:
        if advice := thrash_advice(m.label, m.medians(THRASH_METRICS)):
            console.print(f"[yellow]warning:[/] {advice}", soft_wrap=True)
    steps = ladder(measured)
    if steps:
        print_table(ablation_table(steps), "ablation: each step ÷ the one before (95% interval)", console)
        console.print(attribution(steps), soft_wrap=True)


def print_verification(runs: list[dict]) -> None:
    table = Table(title="token identity vs the one-at-a-time reference", title_justify="left")
    for col in ("strategy", "requests matching", "first divergence"):
        table.add_column(col)
    for r in runs:
        v = r["verification"]
        first = v["mismatches"][0] if v["mismatches"] else None
        where = f"request {first['request_id']} at output token {first['first_divergence']}" if first else "–"
        if first and "round" in first:
            where += f" (round {first['round'] + 1})"
        status = "[green]" if not first else "[red]"
        each = f" in each of {v['rounds']} rounds" if v.get("rounds") and not first else ""
        table.add_row(r["name"], f"{status}{v['matching']}/{v['requests']}{each}", where)
    Console().print(table)
