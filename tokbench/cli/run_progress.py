"""Progress bars for `tokbench run`, fed by run_benchmark's Progress events."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from tokbench.benchmark.progress import Progress as Event


class ProgressDisplay:
    def __init__(self, console: Console):
        self.console = console
        self.bars = Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=console, transient=False)
        self.tasks: dict[str, int] = {}
        self.started = False

    def __enter__(self) -> "ProgressDisplay":
        return self

    def __exit__(self, *exc) -> None:
        if self.started:
            self.bars.__exit__(*exc)

    def update(self, event: Event) -> None:
        if event.kind == "note":
            self.console.print(f"[yellow]{event.message}[/]" if event.message.startswith("workload:")
                               else event.message)
            return
        if not self.started:  # bars appear with the first run, so an early error stays one clean line
            self.bars.__enter__()
            self.started = True
        if event.run not in self.tasks:
            self.tasks[event.run] = self.bars.add_task(event.run, total=event.total or None)
        self.bars.update(self.tasks[event.run], completed=event.done, total=event.total or None)
        if event.kind == "failed":
            self.console.print(f"[red]{event.message}[/]")
