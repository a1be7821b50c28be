"""StepPlan: the one data structure between a strategy (policy) and the runner (mechanism)."""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Literal, NamedTuple

from tokbench.engine.sequence import Sequence

Layout = Literal["padded", "packed"]


class SeqChunk(NamedTuple):
    """Compute tokens [start, start + length) of `seq`. length 0 is a padded row (costs, computes nothing real).

    A NamedTuple (immutable, compared by value) because strategies make one per running sequence per
    step: it is made twice as fast as a frozen dataclass."""

    seq: Sequence
    start: int
    length: int

    @property
    def samples(self) -> bool:
        # A chunk that reaches the last known token yields the next token.
        return self.length > 0 and self.start + self.length == self.seq.num_tokens

    @property
    def is_decode(self) -> bool:
        # One generated token whose KV is computed now; recompute after preemption is prefill.
        return self.length == 1 and self.start >= self.seq.prompt_len and self.samples

    @property
    def is_prefill(self) -> bool:
        return self.length > 0 and not self.is_decode


_length = itemgetter(2)  # SeqChunk.length


@dataclass(frozen=True)
class StepPlan:
    chunks: tuple[SeqChunk, ...]
    layout: Layout
    # padded: the rectangle is len(chunks) x padded_len; every slot beyond a chunk's length is padding.
    padded_len: int = 0

    def __post_init__(self) -> None:
        if not self.chunks:
            raise ValueError("a StepPlan needs at least one chunk")
        lengths = map(_length, self.chunks)  # checked for every step: no Python loop over the chunks
        if self.layout == "padded" and self.padded_len < max(lengths):
            raise ValueError("padded_len is shorter than a chunk")
        if self.layout == "packed" and 0 in lengths:
            raise ValueError("a packed plan cannot carry empty rows")

    @property
    def real_tokens(self) -> int:
        return sum(c.length for c in self.chunks)

    @property
    def computed_tokens(self) -> int:
        """Token slots the model runs over: the rectangle for padded plans, the ribbon for packed."""
        return len(self.chunks) * self.padded_len if self.layout == "padded" else self.real_tokens

    @property
    def padded_tokens(self) -> int:
        return self.computed_tokens - self.real_tokens

    @property
    def prefill_tokens(self) -> int:
        return sum(c.length for c in self.chunks if c.is_prefill)

    @property
    def decode_tokens(self) -> int:
        return self.real_tokens - self.prefill_tokens

    @property
    def kind(self) -> str:
        p, d = self.prefill_tokens, self.decode_tokens
        return "mixed" if p and d else ("prefill" if p else "decode")
