"""A deliberate slowdown for proving that the gate catches regressions: a test hook, never on by default.

TOKBENCH_GATE_INJECT_DECODE_DELAY=0.2 makes every pure-decode step of the gate's own candidate runs
sleep for 20% of its (new) step time: the step's compute time t becomes t / (1 - 0.2). It is a
layer the gate puts around the engine's runner for its candidate runs only (run_benchmark's
`wrap_runner`); `tokbench run` and an A/B reference are never affected.
"""

from __future__ import annotations

import os
import time
from typing import Callable

from tokbench.errors import UserError

ENV = "TOKBENCH_GATE_INJECT_DECODE_DELAY"


def injected_fraction() -> float:
    text = os.environ.get(ENV, "").strip()
    if not text:
        return 0.0
    try:
        fraction = float(text)
    except ValueError:
        raise UserError(f"{ENV}={text!r}: expected a fraction of decode step time, e.g. 0.2") from None
    if not 0.0 <= fraction < 1.0:
        raise UserError(f"{ENV}={text!r}: must be at least 0 and below 1")
    return fraction


class SlowDecodes:
    """A runner whose decode steps take 1 / (1 - fraction) times as long as the wrapped runner's."""

    def __init__(self, runner, fraction: float):
        self.runner = runner
        self.stretch = fraction / (1.0 - fraction)

    def execute(self, plan, kv):
        start = time.perf_counter()
        out = self.runner.execute(plan, kv)
        if plan.kind == "decode":
            time.sleep((time.perf_counter() - start) * self.stretch)
        return out

    def __getattr__(self, name):  # everything else (graphs, storage, ...) is the wrapped runner's
        return getattr(self.runner, name)


def decode_slowdown(fraction: float) -> Callable | None:
    """run_benchmark's wrap_runner for this fraction, or None when nothing is injected."""
    return (lambda runner: SlowDecodes(runner, fraction)) if fraction else None
