"""The peers' side of the clock: requests are handed to a peer when their arrival time comes."""

from __future__ import annotations

import time
from collections import deque

from tokbench.workload.types import Request


class ArrivalQueue:
    """Requests in arrival order, released against a clock that starts at `start()`.

    Times are seconds from the start on time.perf_counter, which is CLOCK_MONOTONIC on Linux: the
    same clock as tokbench's engine and as the peers' own timestamps.
    """

    def __init__(self, requests: list[Request]):
        self.pending = deque(sorted(requests, key=lambda r: (r.arrival_s, r.request_id)))
        self.t0 = time.perf_counter()

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def since_start(self, timestamp: float) -> float:
        """A peer's perf_counter/monotonic timestamp as seconds from the start."""
        return timestamp - self.t0

    def arrived(self) -> list[Request]:
        now, out = self.now(), []
        while self.pending and self.pending[0].arrival_s <= now:
            out.append(self.pending.popleft())
        return out

    def wait_for_next(self) -> None:
        if self.pending:
            delay = self.pending[0].arrival_s - self.now()
            if delay > 0:
                time.sleep(delay)

    def __bool__(self) -> bool:
        return bool(self.pending)
