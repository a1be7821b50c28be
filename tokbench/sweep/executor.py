"""What an executor does: place points and hand back what became of them. It computes no metric and
writes no file; the driver does both."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Callable, Protocol

from tokbench.benchmark.progress import Progress
from tokbench.errors import UserError
from tokbench.sweep.points import Point
from tokbench.sweep.worker import PointRun

DONE, FAILED, RETRY = "done", "failed", "retry"

# (point, run_benchmark's progress event): per-request progress, where the executor can see it.
PointProgress = Callable[[Point, Progress], None]


@dataclass(frozen=True)
class Outcome:
    kind: str  # DONE (run is set), FAILED (error is set) or RETRY (error: why the attempt died; it runs again)
    point: Point
    run: PointRun | None = None
    error: str | None = None


class Executor(Protocol):
    name: str

    def start(self) -> None: ...

    def has_slot(self, point: Point) -> bool:
        """Whether `point` can start now (the driver submits only then, so 'running' means running)."""

    def submit(self, point: Point) -> None: ...

    def in_flight(self) -> int: ...

    def next_outcome(self, on_progress: PointProgress) -> Outcome:
        """Block until a submitted point finishes, fails, or dies and is retried."""

    def cancel_all(self) -> list[Point]:
        """Stop every point in flight (Ctrl-C); the ones stopped."""

    def close(self) -> None: ...


def error_line(exc: BaseException) -> str:
    """One line for the manifest: a user's mistake as itself; anything else with its type and where it arose."""
    text = "; ".join(line for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
    if isinstance(exc, UserError):
        return text
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {text}{where}"
