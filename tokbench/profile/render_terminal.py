"""The profile as rich tables on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tokbench.profile.describe import (
    BATCHING_HEADER,
    FIT_HEADER,
    LENGTH_HEADER,
    arrival_rows,
    batching_rows,
    fit_rows,
    fit_title,
    length_rows,
    prefix_line,
    source_notes,
    target_line,
)


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(header):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


def print_profile(profile: dict, console: Console | None = None) -> None:
    console = console or Console()
    src = profile["source"]
    console.print(f"[bold]{src.get('name', '')}[/bold]  {src.get('format', src.get('kind', ''))}")
    for note in source_notes(profile):
        console.print(f"  [yellow]{note}[/yellow]")
    console.print(target_line(profile))
    if profile["fit"]["rewritten"]:
        console.print(_table(fit_title(profile), FIT_HEADER, fit_rows(profile)))
    console.print(_table(f"Lengths as served ({profile['requests']:,} requests)", LENGTH_HEADER, length_rows(profile)))
    if profile["arrivals"] is not None:
        arrivals = Table(title="Arrivals", title_justify="left", show_header=False)
        arrivals.add_column("what")
        arrivals.add_column("value")
        for row in arrival_rows(profile):
            arrivals.add_row(*row)
        console.print(arrivals)
    else:
        console.print("Arrivals: offline (every request at t=0)")
    if prefix_line(profile):
        console.print(prefix_line(profile))
    title = "Static padding waste (batches in arrival order) / FFD packing efficiency"
    console.print(_table(title, BATCHING_HEADER, batching_rows(profile)))
    rec = profile["recommendation"]
    console.print(f"\n[bold green]Recommendation: {rec['strategy']}[/bold green]  ({rec['flags']})")
    for line in rec["reasons"] + rec["notes"]:
        console.print(f"  - {line}")
    if rec.get("command"):
        console.print(f"  try: {rec['command']}", soft_wrap=True)
    if not profile.get("report_files"):
        console.print("Plots (length histogram and CDF, arrival rate): add --report profile.html (or .md)")
