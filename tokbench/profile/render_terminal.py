"""The profile as rich tables on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def _lengths_table(profile: dict) -> Table:
    table = Table(title=f"Lengths ({profile['requests']:,} requests)", title_justify="left")
    table.add_column("tokens")
    for column in ("p50", "p90", "p99", "max", "mean", "p90/p10", "p99/p50", "CV"):
        table.add_column(column, justify="right")
    for name in ("prompt", "output", "total"):
        s = profile[name]
        table.add_row(
            name,
            *(f"{s[k]:,.0f}" for k in ("p50", "p90", "p99", "max", "mean")),
            f"{s['p90_over_p10']:.1f}",
            f"{s['p99_over_p50']:.1f}",
            f"{s['cv']:.2f}",
        )
    return table


def _arrivals_table(profile: dict) -> Table:
    a, c = profile["arrivals"], profile["concurrency"]
    table = Table(title="Arrivals", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("duration", f"{a['duration_s']:,.1f} s")
    table.add_row("mean rate", f"{a['mean_rate_per_s']:.3f} req/s")
    table.add_row("peak rate", ", ".join(f"{v:.2f} ({w})" for w, v in a["peak_rate_per_s"].items()))
    table.add_row("inter-arrival CV", f"{a['interarrival_cv']:.2f}  (Poisson = 1)")
    table.add_row(
        "index of dispersion",
        ", ".join(f"{v:.2f} ({w})" for w, v in a["index_of_dispersion"].items() if v is not None) or "n/a",
    )
    gaps = a["idle_gaps"]
    table.add_row(
        f"idle gaps >= {gaps['threshold_s']:g} s",
        f"{gaps['count']:,} ({gaps['fraction_of_time']:.0%} of time, longest {gaps['longest_s']:.1f} s)",
    )
    table.add_row("concurrency (est.)", f"mean {c['mean']:.1f}, p99 {c['p99']:.0f}, max {c['max']}")
    return table


def _batching_table(profile: dict) -> Table:
    table = Table(title="Static padding waste / FFD packing efficiency", title_justify="left")
    table.add_column("batch size")
    table.add_column("prefill waste", justify="right")
    table.add_column("decode waste", justify="right")
    table.add_column("token budget", justify="right")
    table.add_column("FFD efficiency", justify="right")
    padding = list(profile["padding"].items())
    packing = list(profile["packing"]["budgets"].items())
    for i in range(max(len(padding), len(packing))):
        left = (
            (padding[i][0], f"{padding[i][1]['prefill_waste']:.1%}", f"{padding[i][1]['decode_waste']:.1%}")
            if i < len(padding)
            else ("", "", "")
        )
        right = (packing[i][0], f"{packing[i][1]['efficiency']:.1%}") if i < len(packing) else ("", "")
        table.add_row(*left, *right)
    return table


def print_profile(profile: dict, console: Console | None = None) -> None:
    console = console or Console()
    src = profile["source"]
    console.print(f"[bold]{src.get('name', '')}[/bold]  {src.get('format', src.get('kind', ''))}")
    for key in (
        "bad_rows",
        "failed_requests_excluded",
        "clipped_over_length",
        "dropped_over_length",
        "arrivals_raised_to_previous_row",
        "conversations_without_reply_excluded",
    ):
        if src.get(key):
            console.print(f"  [yellow]{key.replace('_', ' ')}:[/yellow] {src[key]}")
    console.print(_lengths_table(profile))
    if profile["arrivals"] is not None:
        console.print(_arrivals_table(profile))
    else:
        console.print("Arrivals: offline (every request at t=0)")
    reuse = profile["prefix_reuse"]
    if reuse is not None:
        console.print(
            f"Prefix reuse: {reuse['reused_token_fraction']:.1%} of prompt tokens "
            f"({reuse['reused_block_fraction']:.1%} of {reuse['blocks']:,} blocks of {reuse['block_tokens']})"
        )
    console.print(_batching_table(profile))
    rec = profile["recommendation"]
    knobs = ", ".join(f"{k}={v}" for k, v in rec["knobs"].items())
    console.print(f"\n[bold green]Recommendation: {rec['strategy']}[/bold green] ({knobs})")
    for line in rec["reasons"] + rec["notes"]:
        console.print(f"  - {line}")
