"""A runner that computes nothing: lengths are real, token ids are not, time is what you say.

It drives the real loop and the real strategies without a model: for policy tests, host-overhead
benchmarks and simulation (which passes a VirtualClock and a step-time function).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from tokbench.engine.clock import VirtualClock
from tokbench.engine.kv_base import KVCache
from tokbench.engine.plan import StepPlan
from tokbench.engine.recorder import StepCounts
from tokbench.engine.runner_types import StepOutput
from tokbench.engine.step_columns import columns

PLACEHOLDER_TOKEN = 0  # outputs have fixed lengths (ignore_eos), so the ids never matter


class NullRunner:
    """`shape_seconds(layout, padded_len, batch, counts)`, where given, is `step_seconds` of any plan of that
    shape and those counts, element by element where they are arrays: with it (or with no time to keep)
    the loop may run repeated decode steps without building their plans (`repeat_seconds`)."""

    repeat_token = PLACEHOLDER_TOKEN

    def __init__(self, clock: VirtualClock | None = None, step_seconds: Callable[[StepPlan], float] | None = None,
                 shape_seconds: Callable[[str, int, int, StepCounts], float] | None = None):
        self.clock = clock
        self.step_seconds = step_seconds
        self.shape_seconds = shape_seconds
        # Only on its own virtual clock: a wall clock would have to see the repeated steps take their time.
        self.repeats = clock is not None and (step_seconds is None or shape_seconds is not None)

    def repeat_seconds(self, layout: str, padded_len: int, batch: int, counts: StepCounts) -> np.ndarray:
        """Durations of steps of this shape whose counts are given as arrays, one element a step (their
        tokens are all repeat_token): what step_seconds gives their plans, 0 where no time is kept."""
        if self.clock is not None and self.step_seconds is not None:
            seconds = self.shape_seconds(layout, padded_len, batch, counts)
            return seconds if np.ndim(seconds) else np.full(len(counts.attention_pairs), seconds)
        return np.zeros(len(counts.attention_pairs))

    def execute(self, plan: StepPlan, kv: KVCache) -> StepOutput:
        if self.clock is not None and self.step_seconds is not None:
            self.clock.advance(self.step_seconds(plan))
        return StepOutput(tokens=[PLACEHOLDER_TOKEN if f else None for f in columns(plan).samples])
