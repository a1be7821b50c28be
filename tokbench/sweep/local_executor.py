"""The default executor: points one at a time in this process, the loaded model kept between them."""

from __future__ import annotations

from collections import deque
from typing import Callable

from tokbench.benchmark.model_cache import ModelCache
from tokbench.sweep.executor import DONE, FAILED, Outcome, PointProgress, error_line
from tokbench.sweep.points import Point
from tokbench.sweep.worker import execute_point


class LocalExecutor:
    name = "local"

    def __init__(self, *, wrap_runner: Callable | None = None):
        # wrap_runner: a layer around each point's runner (tests slow it down in a known way).
        self.wrap_runner = wrap_runner
        self.models = ModelCache()
        self._queue: deque[Point] = deque()

    def start(self) -> None:
        pass

    def has_slot(self, point: Point) -> bool:
        return not self._queue

    def submit(self, point: Point) -> None:
        self._queue.append(point)

    def in_flight(self) -> int:
        return len(self._queue)

    def next_outcome(self, on_progress: PointProgress) -> Outcome:
        point = self._queue[0]
        try:
            run = execute_point(point.config.to_dict(), models=self.models, wrap_runner=self.wrap_runner,
                                on_progress=lambda event: on_progress(point, event))
        except Exception as exc:  # noqa: BLE001 — one point's failure is recorded; the others go on
            self._queue.popleft()
            return Outcome(FAILED, point, error=error_line(exc))
        self._queue.popleft()
        return Outcome(DONE, point, run=run)

    def cancel_all(self) -> list[Point]:
        stopped = list(self._queue)
        self._queue.clear()
        return stopped

    def close(self) -> None:
        self.models = ModelCache()  # the weights go with the sweep
