"""What every runner returns for one step (the model runner, the null runner, a simulator)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StepOutput:
    tokens: list[int | None]  # one per chunk: the sampled token, or None for chunks that do not sample
    prepare_s: float = 0.0  # host time turning the plan into device inputs, before the forward is launched
