"""A plan's chunks read once per step as columns, shared by the runner, the loop and the recorder.

With hundreds of running sequences, reading each chunk's fields again in every consumer (and
through SeqChunk's properties, which walk down to the sequence) was most of the step's host time.
`columns(plan)` reads them in a few list comprehensions; while the loop runs a step, every consumer
of that same plan gets the loop's copy (`step_scope`), read before anything advanced.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from tokbench.engine.plan import StepPlan
from tokbench.engine.sequence import Sequence


@dataclass(frozen=True, slots=True)
class StepColumns:
    plan: StepPlan
    seqs: list[Sequence]
    starts: list[int]
    lengths: list[int]
    samples: list[bool]  # SeqChunk.samples of each chunk, as the step was planned
    real_tokens: int

    @property
    def decode_only(self) -> bool:
        """Every chunk computes exactly one token (a packed plan's decode step)."""
        return self.real_tokens == len(self.lengths) and 0 not in self.lengths


def read_columns(plan: StepPlan) -> StepColumns:
    chunks = plan.chunks
    seqs = [c.seq for c in chunks]
    starts = [c.start for c in chunks]
    lengths = [c.length for c in chunks]
    # SeqChunk.samples: the chunk reaches the last known token.
    samples = [n > 0 and s + n == len(q.token_ids) for q, s, n in zip(seqs, starts, lengths)]
    return StepColumns(plan, seqs, starts, lengths, samples, sum(lengths))


_current: StepColumns | None = None


def columns(plan: StepPlan) -> StepColumns:
    """The columns of `plan`: the running step's, if it is the plan the loop is running, else read now."""
    current = _current
    if current is not None and current.plan is plan:
        return current
    return read_columns(plan)


@contextmanager
def step_scope(plan: StepPlan) -> Iterator[StepColumns]:
    """The loop's step: columns read now and shared until the step ends (sequences advance after)."""
    global _current
    _current = cols = read_columns(plan)
    try:
        yield cols
    finally:
        _current = None
