"""The live view of `tokbench sweep`: counts and ETA, the running points, one line per point as it lands."""

from __future__ import annotations

import time

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from tokbench.sweep.events import SweepEvent
from tokbench.sweep.keys import describe_values
from tokbench.sweep.records import PointRecord


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def figures_text(record: PointRecord) -> str:
    """'123.4 tok/s · p99 TTFT 456 ms · p99 TPOT 12.3 ms · SLO 95%' per run (runs joined by ' | ')."""
    parts = []
    for f in record.figures:
        bits = [f"{f['output_throughput']:,.1f} tok/s" if f.get("output_throughput") is not None else "– tok/s",
                f"p99 TTFT {f['p99_ttft_ms']:,.0f} ms" if f.get("p99_ttft_ms") is not None else "p99 TTFT –",
                f"p99 TPOT {f['p99_tpot_ms']:,.1f} ms" if f.get("p99_tpot_ms") is not None else "p99 TPOT –"]
        if f.get("attainment") is not None:
            bits.append(f"SLO {f['attainment']:.0%}")
        prefix = f"{f['run']}: " if len(record.figures) > 1 else ""
        parts.append(prefix + " · ".join(bits))
    return " | ".join(parts)


class SweepDisplay:
    def __init__(self, console: Console):
        self.console = console
        self.total = self.reused = 0
        self.status: dict[str, str] = {}  # point id -> pending/running/complete/failed as this call saw it
        self.running: dict[str, tuple[PointRecord, float, str]] = {}  # id -> (record, since, progress text)
        self.t0 = time.monotonic()
        self.first_start: float | None = None
        self.landed_here = 0
        self.live = Live(get_renderable=self._render, console=console, refresh_per_second=4, transient=True)
        self.started = False

    def __enter__(self) -> "SweepDisplay":
        return self

    def __exit__(self, *exc) -> None:
        if self.started:
            self.live.stop()

    def _count(self, status: str) -> int:
        return sum(1 for s in self.status.values() if s == status)

    def _eta(self) -> str:
        remaining = self.total - self.reused - self.landed_here - self._count("failed")
        if not self.landed_here or self.first_start is None or remaining <= 0:
            return "–"
        per_point = (time.monotonic() - self.first_start) / self.landed_here
        return _clock(per_point * remaining)

    def _render(self):
        done = self.reused + self.landed_here
        head = Text.assemble(
            ("sweep ", "bold"), f"{done}/{self.total} done · ", (f"{len(self.running)} running", "cyan"), " · ",
            (f"{self._count('failed')} failed", "red" if self._count("failed") else ""),
            f" · elapsed {_clock(time.monotonic() - self.t0)} · ETA {self._eta()}")
        lines = [head]
        for record, since, progress in self.running.values():
            lines.append(Text(f"  ▶ {record.id} {describe_values(record.values)}  {progress} "
                              f"{_clock(time.monotonic() - since)}", style="cyan"))
        return Group(*lines)

    def update(self, event: SweepEvent) -> None:
        if not self.started and event.kind != "note":
            self.live.start()
            self.started = True
        r = event.record
        if event.kind == "plan":
            self.total, self.reused = event.total, event.reused
            if event.reused:
                self.console.print(f"{event.reused} of {event.total} points already complete: running the other "
                                   f"{event.total - event.reused}")
        elif event.kind == "start":
            self.total = max(self.total, event.total)
            self.first_start = self.first_start or time.monotonic()
            self.status[r.id] = "running"
            self.running[r.id] = (r, time.monotonic(), "")
        elif event.kind == "progress" and r.id in self.running and event.progress.total:
            p = event.progress
            self.running[r.id] = (r, self.running[r.id][1], f"[{p.run} {p.done}/{p.total} requests]")
        elif event.kind == "land":
            self.running.pop(r.id, None)
            self.status[r.id] = "complete"
            self.landed_here += 1
            self.console.print(f"[green]✓[/] {r.id} {describe_values(r.values)}  {figures_text(r)}  "
                               f"[dim]({r.duration_s:.1f} s on {r.host})[/]")
        elif event.kind == "fail":
            self.running.pop(r.id, None)
            self.status[r.id] = "failed"
            self.console.print(f"[red]✗[/] {r.id} {describe_values(r.values)}: {event.message}")
        elif event.kind == "retry":
            self.console.print(f"[yellow]↻[/] {r.id} {describe_values(r.values)}: {event.message}; "
                               f"attempt {r.attempts}")
            self.running[r.id] = (r, time.monotonic(), "")
        elif event.kind == "stopped":
            self.running.pop(r.id, None)
            self.status[r.id] = "pending"
        elif event.kind in ("capacity", "note"):
            self.console.print(event.message)
