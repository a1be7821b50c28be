"""A deliberate slowdown for proving that the gate catches regressions: a test hook, never on by default.

TOKBENCH_GATE_INJECT_DECODE_DELAY=0.2 makes every pure-decode step of the gate's own benchmark runs
sleep for 20% of its (new) step time: the step's compute time t becomes t / (1 - 0.2). It wraps the
runner from outside for the gate's repeats only; the engine carries no hook and `tokbench run` is
never affected.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

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


@contextmanager
def decode_slowdown(fraction: float) -> Iterator[None]:
    """While active, each decode step sleeps so that the sleep is `fraction` of the step's time."""
    if not fraction:
        yield
        return
    from tokbench.engine.runner import Runner  # here, so the gate's other paths start without torch

    original = Runner.execute
    stretch = fraction / (1.0 - fraction)

    def slowed(self, plan, kv):
        start = time.perf_counter()
        out = original(self, plan, kv)
        if plan.kind == "decode":
            time.sleep((time.perf_counter() - start) * stretch)
        return out

    Runner.execute = slowed
    try:
        yield
    finally:
        Runner.execute = original
