"""The run's clock: wall time from the start, with the device drained at step boundaries."""

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
