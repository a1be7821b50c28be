"""A runner that computes nothing: lengths are real, token ids are not, time is what you say.

It drives the real loop and the real strategies without a model: for policy tests, host-overhead
benchmarks and simulation (which passes a VirtualClock and a step-time function).
"""

from __future__ import annotations

from typing import Callable

from tokbench.engine.clock import VirtualClock
from tokbench.engine.kv_base import KVCache
from tokbench.engine.plan import StepPlan
from tokbench.engine.recorder import StepCounts
from tokbench.engine.runner_types import StepOutput

PLACEHOLDER_TOKEN = 0  # outputs have fixed lengths (ignore_eos), so the ids never matter


class NullRunner:
    """`shape_seconds(layout, padded_len, batch, counts)`, where given, is `step_seconds` of any plan of that
    shape and those counts: with it (or with no time to keep) the loop may run repeated decode steps
    without building their plans (`repeat`)."""

    repeat_token = PLACEHOLDER_TOKEN

    def __init__(self, clock: VirtualClock | None = None, step_seconds: Callable[[StepPlan], float] | None = None,
                 shape_seconds: Callable[[str, int, int, StepCounts], float] | None = None):
        self.clock = clock
        self.step_seconds = step_seconds
        self.shape_seconds = shape_seconds
        self.repeats = clock is None or step_seconds is None or shape_seconds is not None

    def repeat(self, layout: str, padded_len: int, batch: int, counts: StepCounts) -> None:
        """One step of a plan of this shape and these counts: only its time passes (its tokens are repeat_token)."""
        if self.clock is not None and self.shape_seconds is not None:
            self.clock.advance(self.shape_seconds(layout, padded_len, batch, counts))

    def execute(self, plan: StepPlan, kv: KVCache) -> StepOutput:
        if self.clock is not None and self.step_seconds is not None:
            self.clock.advance(self.step_seconds(plan))
        return StepOutput(tokens=[PLACEHOLDER_TOKEN if c.samples else None for c in plan.chunks])
