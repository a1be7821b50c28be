"""Progress bars for `tokbench run`, fed by run_benchmark's Progress events."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
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
        self.bars = Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
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
            warn = event.message.startswith(("workload:", "noise:"))
            # One line each, never wrapped: a warning is grepped for in logs.
            self.console.print(f"[yellow]{escape(event.message)}[/]" if warn else escape(event.message), soft_wrap=True)
            return
        if not self.started:  # bars appear with the first run, so an early error stays one clean line
            self.bars.__enter__()
            self.started = True
        # One bar per run across its rounds: round r's requests count after the r rounds before it.
        total = event.total * event.rounds or None
        label = event.run if event.rounds == 1 else \
            f"{event.run} {event.round + 1}/{'≤' if event.at_most else ''}{event.rounds}"
        if event.run not in self.tasks:
            self.tasks[event.run] = self.bars.add_task(label, total=total)
        self.bars.update(self.tasks[event.run], completed=event.round * event.total + event.done, total=total,
                         description=label)
        if event.kind == "failed":
            self.console.print(f"[red]{escape(event.message)}[/]")
