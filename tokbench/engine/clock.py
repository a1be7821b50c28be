"""The run's clocks: wall time with the device drained at step boundaries, or a virtual clock.

The loop only calls start, sync, now and sleep_until, so a simulation swaps the clock (and the
runner), never the loop or the strategies.
"""

from __future__ import annotations

import time

import torch


class Clock:
    def __init__(self, device: torch.device):
        self._cuda = device.type == "cuda"
        self._t0 = time.perf_counter()

    def start(self) -> None:
        self.sync()
        self._t0 = time.perf_counter()

    def sync(self) -> None:
        if self._cuda:
            torch.cuda.synchronize()

    def now(self) -> float:
        return time.perf_counter() - self._t0

    def sleep_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            time.sleep(delay)


class VirtualClock:
    """Time that passes only when told: a simulated step advances it by its predicted duration."""

    def __init__(self) -> None:
        self._t = 0.0

    def start(self) -> None:
        self._t = 0.0

    def sync(self) -> None:
        pass

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        self._t += seconds

    def sleep_until(self, t: float) -> None:
        self._t = max(self._t, t)
