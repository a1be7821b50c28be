"""Print a TextTable in the terminal, so a command's screen and markdown output show the same rows."""

from __future__ import annotations

import os

from rich.console import Console
from rich.table import Table

from tokbench.report.tables import TextTable


def console_for_tables() -> Console:
    """Messages never wrapped (they are grepped in CI logs); tables not squeezed into 80 columns in a log."""
    console = Console(soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(soft_wrap=True, width=200)
    return console


def print_table(table: TextTable, title: str | None = None, console: Console | None = None,
                styles: list[str | None] | None = None) -> None:
    """`styles`: an optional rich style per row (e.g. red for a regression)."""
    out = Table(title=title, title_justify="left")
    for i, name in enumerate(table.header):
        out.add_column(name, justify="left" if i < table.align_left else "right")
    for i, row in enumerate(table.rows):
        out.add_row(*row, style=styles[i] if styles else None)
    (console or console_for_tables()).print(out)
