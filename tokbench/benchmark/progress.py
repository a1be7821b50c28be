"""What run_benchmark tells its caller while it works (the CLI draws progress bars from it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

if TYPE_CHECKING:
    from tokbench.results import Results

Kind = Literal["note", "start", "step", "done", "failed"]


@dataclass(frozen=True)
class Progress:
    kind: Kind  # note: a line for the reader (setup, noise); start/step/done/failed: one run's progress
    run: str = ""  # the run's name (strategy or peer)
    done: int = 0  # requests finished so far in this round
    total: int = 0  # requests in a round
    message: str = ""
    round: int = 0  # which round of the run, from 0 (tokbench run --repeats N)
    rounds: int = 1
    at_most: bool = False  # rounds is the most there will be: they stop once precise enough (--target-precision)
    # On "done" and "failed": the results of the runs finished so far, marked incomplete (built when
    # called), for a caller that keeps them as it goes so an interruption loses no finished run.
    so_far: Callable[[], "Results"] | None = None


OnProgress = Callable[[Progress], None]


def ignore(_: Progress) -> None:
    pass
