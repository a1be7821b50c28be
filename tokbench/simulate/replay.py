"""A cost model that replays measured step times in order: what-if checks and the simulator's tests.

Replaying a real run's step cycles (calibrate.step_cycles) through the real strategies must
reproduce that run, step for step; a strategy that plans more steps than were measured is an error.
"""

from __future__ import annotations

from typing import Sequence

from tokbench.engine.loop import EngineError
from tokbench.engine.plan import StepPlan
from tokbench.simulate.target import Target


class ReplayModel:
    kind = "replay"

    def __init__(self, target: Target, seconds: Sequence[float]):
        self.target = target
        self.seconds = list(seconds)
        self._next = 0

    def step_seconds(self, plan: StepPlan) -> float:
        if self._next >= len(self.seconds):
            raise EngineError(f"replay: the simulation planned more than the {len(self.seconds)} measured steps")
        self._next += 1
        return self.seconds[self._next - 1]
