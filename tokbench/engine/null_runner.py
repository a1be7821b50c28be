"""A runner that computes nothing: lengths are real, token ids are not, time is what you say.

It drives the real loop and the real strategies without a model: for policy tests, host-overhead
benchmarks and simulation (which passes a VirtualClock and a step-time function).
"""

from __future__ import annotations

from typing import Callable

from tokbench.engine.clock import VirtualClock
from tokbench.engine.kv_base import KVCache
from tokbench.engine.plan import StepPlan
from tokbench.engine.runner_types import StepOutput

PLACEHOLDER_TOKEN = 0  # outputs have fixed lengths (ignore_eos), so the ids never matter


class NullRunner:
    def __init__(self, clock: VirtualClock | None = None, step_seconds: Callable[[StepPlan], float] | None = None):
        self.clock = clock
        self.step_seconds = step_seconds

    def execute(self, plan: StepPlan, kv: KVCache) -> StepOutput:
        if self.clock is not None and self.step_seconds is not None:
            self.clock.advance(self.step_seconds(plan))
        return StepOutput(tokens=[PLACEHOLDER_TOKEN if c.samples else None for c in plan.chunks])
