"""What run_sweep tells its caller while it works (the CLI draws its progress display from these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from tokbench.benchmark.progress import Progress
from tokbench.sweep.records import PointRecord

Kind = Literal["plan", "start", "progress", "land", "fail", "retry", "stopped", "capacity", "note"]


@dataclass(frozen=True)
class SweepEvent:
    kind: Kind
    # plan: the points known so far (total) and those already complete (reused); start/land/fail/retry/
    # stopped: one point; progress: a running point's run_benchmark event; capacity: a search's answer.
    record: PointRecord | None = None
    total: int = 0
    reused: int = 0
    message: str = ""
    progress: Progress | None = None


OnEvent = Callable[[SweepEvent], None]


def ignore(_: SweepEvent) -> None:
    pass
