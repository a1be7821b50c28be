"""The rich tables `tokbench run` prints: a summary per strategy and the token-identity check."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table


def _fmt(value: float, digits: int = 1, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f}%" if pct else f"{value:,.{digits}f}"


def print_summary(runs) -> None:
    table = Table(title="tokbench run: summary", title_justify="left")
    cols = ["strategy", "output tok/s", "total tok/s", "req/s", "TTFT p50 ms", "TTFT p99 ms", "TPOT p50 ms",
            "ITL p99 ms", "padding", "KV frag", "budget util", "preempt", "vs first"]
    for col in cols:
        table.add_column(col, justify="left" if col == "strategy" else "right")
    base = runs[0].summary["output_throughput"] if runs else float("nan")
    for r in runs:
        s = r.summary
        table.add_row(
            r.name, _fmt(s["output_throughput"]), _fmt(s["total_token_throughput"]), _fmt(s["request_throughput"], 2),
            _fmt(s["median_ttft_ms"]), _fmt(s["p99_ttft_ms"]), _fmt(s["median_tpot_ms"], 2), _fmt(s["p99_itl_ms"], 2),
            _fmt(s["padding_ratio"], pct=True), _fmt(s["kv_fragmentation"], pct=True),
            _fmt(s["token_budget_utilization"], pct=True), str(s["preemptions"]),
            f"{s['output_throughput'] / base:.2f}x" if base else "–",
        )
    Console().print(table)


def print_verification(runs) -> None:
    table = Table(title="token identity vs the one-at-a-time reference", title_justify="left")
    for col in ("strategy", "requests matching", "first divergence"):
        table.add_column(col)
    for r in runs:
        v = r.verification
        first = v["mismatches"][0] if v["mismatches"] else None
        where = f"request {first['request_id']} at output token {first['first_divergence']}" if first else "–"
        status = "[green]" if not first else "[red]"
        table.add_row(r.name, f"{status}{v['matching']}/{v['requests']}", where)
    Console().print(table)
