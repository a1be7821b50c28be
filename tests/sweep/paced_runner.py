"""A runner slowed in a known way, for the capacity test: it computes nothing and every step takes S.

Back-to-back steps keep a strict cadence of S seconds (the loop's own time between steps is
absorbed), so one request per step behind constant arrivals is a D/D/1 queue whose capacity
under a TTFT SLO follows from arithmetic (tests/sweep/test_capacity.py).
"""

from __future__ import annotations

import time

from tokbench.engine.null_runner import NullRunner


class PacedRunner:
    def __init__(self, inner, step_s: float):
        self.inner = inner  # kept for its attributes (graphs, backend); its model is never run
        self.null = NullRunner()
        self.step_s = step_s
        self.deadline: float | None = None

    def execute(self, plan, kv):
        now = time.perf_counter()
        back_to_back = self.deadline is not None and now - self.deadline < self.step_s / 2
        start = self.deadline if back_to_back else now
        out = self.null.execute(plan, kv)
        self.deadline = start + self.step_s
        delay = self.deadline - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        return out

    def __getattr__(self, name):
        return getattr(self.inner, name)


def paced(step_s: float):
    """wrap_runner for run_benchmark / LocalExecutor."""
    return lambda runner: PacedRunner(runner, step_s)
