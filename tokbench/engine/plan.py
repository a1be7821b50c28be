"""StepPlan: the one data structure between a strategy (policy) and the runner (mechanism)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tokbench.engine.sequence import Sequence

Layout = Literal["padded", "packed"]


@dataclass(frozen=True)
class SeqChunk:
    """Compute tokens [start, start + length) of `seq`. length 0 is a padded row (costs, computes nothing real)."""

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


@dataclass(frozen=True)
class StepCounts:
    """A step in numbers, counted once when the plan is made (sequence state at planning time).

    What the recorder writes and what cost models read; docs/metrics.md defines each.
    """

    batch_size: int
    real_tokens: int
    computed_tokens: int
    prefill_tokens: int
    sampled_tokens: int
    attention_pairs: int
    kv_read_tokens: int
    max_context_tokens: int  # the longest row's context (a padded rectangle's key span)

    @property
    def padded_tokens(self) -> int:
        return self.computed_tokens - self.real_tokens

    @property
    def decode_tokens(self) -> int:
        return self.real_tokens - self.prefill_tokens

    @property
    def kind(self) -> str:
        p, d = self.prefill_tokens, self.decode_tokens
        return "mixed" if p and d else ("prefill" if p else "decode")


def count_step(chunks: tuple[SeqChunk, ...], computed_tokens: int | None) -> StepCounts:
    """One pass over the chunks; computed_tokens None means the ribbon (the real tokens)."""
    real = decode = sampled = pairs = kv_read = longest = 0
    for c in chunks:
        n = c.length
        end = c.start + n
        if end > longest:
            longest = end
        if n:
            real += n
            pairs += n * end
            kv_read += end
            if c.samples:
                sampled += 1
                decode += c.is_decode
    return StepCounts(len(chunks), real, real if computed_tokens is None else computed_tokens, real - decode,
                      sampled, pairs, kv_read, longest)


@dataclass(frozen=True)
class StepPlan:
    chunks: tuple[SeqChunk, ...]
    layout: Layout
    # padded: the rectangle is len(chunks) x padded_len; every slot beyond a chunk's length is padding.
    padded_len: int = 0
    # The strategy's per-step token capacity (for token_budget_utilization), if it has one.
    token_budget: int | None = None
    counts: StepCounts = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.chunks:
            raise ValueError("a StepPlan needs at least one chunk")
        if self.layout == "padded" and self.padded_len < max(c.length for c in self.chunks):
            raise ValueError("padded_len is shorter than a chunk")
        if self.layout == "packed" and any(c.length == 0 for c in self.chunks):
            raise ValueError("a packed plan cannot carry empty rows")
        rectangle = len(self.chunks) * self.padded_len if self.layout == "padded" else None
        object.__setattr__(self, "counts", count_step(self.chunks, rectangle))

    @property
    def real_tokens(self) -> int:
        return self.counts.real_tokens

    @property
    def computed_tokens(self) -> int:
        """Token slots the model runs over: the rectangle for padded plans, the ribbon for packed."""
        return self.counts.computed_tokens

    @property
    def padded_tokens(self) -> int:
        return self.counts.padded_tokens

    @property
    def prefill_tokens(self) -> int:
        return self.counts.prefill_tokens

    @property
    def decode_tokens(self) -> int:
        return self.counts.decode_tokens

    @property
    def kind(self) -> str:
        return self.counts.kind
