"""The rich tables `tokbench run` prints: a summary per strategy and the token-identity check.

Metrics are rows and runs are columns, so four or five runs fit an 80-column terminal.
"""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

# (label, summary key, format): "n" number, "pct" a fraction shown as %, "int" a count
SUMMARY_ROWS = [
    ("output tok/s", "output_throughput", "n"),
    ("total tok/s", "total_token_throughput", "n"),
    ("requests/s", "request_throughput", "n2"),
    ("prefill tok/s", "prefill_throughput", "n"),
    ("decode tok/s", "decode_throughput", "n"),
    ("TTFT p50 / p99 ms", ("median_ttft_ms", "p99_ttft_ms"), "n"),
    ("TPOT p50 / p99 ms", ("median_tpot_ms", "p99_tpot_ms"), "n2"),
    ("ITL p50 / p99 ms", ("median_itl_ms", "p99_itl_ms"), "n2"),
    ("E2E p50 / p99 ms", ("median_e2el_ms", "p99_e2el_ms"), "n"),
    ("padding", "padding_ratio", "pct"),
    ("KV fragmentation", "kv_fragmentation", "pct"),
    ("token budget util", "token_budget_utilization", "pct"),
    ("mean batch", "mean_batch_size", "n"),
    ("preemptions", "preemptions", "int"),
    ("MBU / MFU", ("mbu", "mfu"), "pct"),
]


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "int":
        return f"{int(value):,}"
    return f"{value:,.{2 if kind == 'n2' else 1}f}"


def _cell(summary: dict, key, kind: str) -> str:
    keys = key if isinstance(key, tuple) else (key,)
    return " / ".join(_fmt(summary.get(k), kind) for k in keys)


def print_summary(runs: list[dict], title: str = "tokbench run: summary") -> None:
    """`runs`: the run entries of results.json (name, summary, ...)."""
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for r in runs:
        table.add_column(r["name"], justify="right")
    for label, key, kind in SUMMARY_ROWS:
        table.add_row(label, *(_cell(r["summary"], key, kind) for r in runs))
    base = runs[0]["summary"]["output_throughput"] if runs else float("nan")
    table.add_row(f"output vs {runs[0]['name']}" if runs else "",
                  *(f"{r['summary']['output_throughput'] / base:.2f}x" if base else "–" for r in runs))
    Console().print(table)


def print_verification(runs: list[dict]) -> None:
    table = Table(title="token identity vs the one-at-a-time reference", title_justify="left")
    for col in ("strategy", "requests matching", "first divergence"):
        table.add_column(col)
    for r in runs:
        v = r["verification"]
        first = v["mismatches"][0] if v["mismatches"] else None
        where = f"request {first['request_id']} at output token {first['first_divergence']}" if first else "–"
        status = "[green]" if not first else "[red]"
        table.add_row(r["name"], f"{status}{v['matching']}/{v['requests']}", where)
    Console().print(table)
