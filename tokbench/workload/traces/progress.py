"""A byte-based progress bar for long trace reads (only on a terminal, only for big files)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

MIN_BYTES = 32 << 20


@contextmanager
def read_progress(path: Path, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    size = path.stat().st_size
    if not enabled or size < MIN_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(f"reading {path.name}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("read", total=size)
        yield lambda n: bar.advance(task, n)
