"""Continuous (iteration-level, Orca-style) batching with contiguous KV.

A finished request leaves at once and a waiting one takes its slot at the next step. Joiners are
prefilled together in a step of their own (whole prompts, no padding, no chunking; their prompts
fill at most max_batch_tokens, unless the first alone is longer), then decode with the rest. Output lengths are unknown in
advance, so every slot reserves KV for max_model_len: the KV budget fixes how many slots exist.
"""

from __future__ import annotations

from collections import deque

from tokbench.benchmark.strategy_registry import register, register_variant
from tokbench.engine.kv_base import ContiguousKVCache, PagedKVCache
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.policy import UNTIL_CHANGE, PromptStats, SchedulerConfig, Strategy
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError
from tokbench.strategies.paged_rules import (WATERMARK, admits, check_fits_blocks, decodes_until_blocks_run_out, make_room,
                                             take_decode_blocks, watermark_blocks)


@register
class Continuous(Strategy):
    name = "continuous"
    kv_layout = "contiguous"
    uses = ("max_num_seqs", "max_batch_tokens", "kv_budget_tokens", "max_model_len")
    kv: ContiguousKVCache

    def __init__(self, config, kv):
        super().__init__(config, kv)
        self.slots = self._slots()
        self.waiting: deque[Sequence] = deque()
        self.running: list[Sequence] = []  # admission order, oldest first
        self.joining: list[Sequence] = []

    def _slots(self) -> int:
        """Sequences that may run at once: as many max_model_len reservations as the KV budget holds."""
        slots = min(self.config.max_num_seqs, self.kv.capacity // self.config.max_model_len)
        if slots < 1:
            n = self.config.max_model_len
            raise UserError(f"a KV budget of {self.kv.capacity} slots holds no continuous-batching slot: each "
                            f"reserves max_model_len ({n} tokens); give --kv-budget-tokens {n} or more, or a "
                            "smaller --max-model-len")
        return slots

    def _take_kv(self, seq: Sequence) -> bool:
        """KV for a joiner: its output length is unknown, so a whole max_model_len slot."""
        return self.kv.reserve(seq, self.config.max_model_len)

    def _grow(self) -> None:
        """Room for each running sequence's next token: a reserved slot already has it."""

    @classmethod
    def largest_step_tokens(cls, config: SchedulerConfig, prompts: PromptStats) -> int:
        # Joiners fill the token budget; the first joiner alone may exceed it with a long prompt.
        return max(config.max_batch_tokens, prompts.longest)

    def add(self, seq: Sequence) -> None:
        self.waiting.append(seq)

    def has_work(self) -> bool:
        return bool(self.waiting or self.running or self.joining)

    def plan(self, now: float) -> StepPlan | None:
        budget = self.config.max_batch_tokens
        while self.waiting and len(self.running) + len(self.joining) < self.slots:
            seq = self.waiting[0]
            if self.joining and seq.num_tokens > budget:
                break
            if not self._take_kv(seq):
                break
            self.joining.append(self.waiting.popleft())
            budget -= seq.num_tokens
        if self.joining:
            return StepPlan(tuple(SeqChunk(s, 0, s.num_tokens) for s in self.joining), "packed")
        self._grow()
        if self.running:
            return StepPlan(tuple(SeqChunk(s, s.num_tokens - 1, 1) for s in self.running), "packed")
        return None

    def decode_repeats(self, plan: StepPlan) -> int:
        # A decode step again until something finishes or arrives: a slot holds the KV of every token a
        # sequence can reach, and the joiners that found no slot or no KV this time find none next time.
        return UNTIL_CHANGE

    def arrivals_wait(self, plan: StepPlan) -> bool:
        # First come, first served: an arrival queues behind a request refused a slot or KV this time
        # (refused again, with no less KV taken), or finds every slot taken.
        return bool(self.waiting) or len(self.running) >= self.slots

    def step_done(self, plan: StepPlan) -> None:
        self.running.extend(self.joining)
        self.joining = []
        self.running = self.release_finished(self.running)


@register_variant
class ContinuousPaged(Continuous):
    """Continuous batching on paged KV: the ablation's step from continuous towards tokenmaxxing.

    Blocks are taken as tokens arrive instead of a max_model_len slot per request, so up to
    max_num_seqs sequences run at once; admission keeps a watermark of free blocks and, when blocks
    run out, the newest running sequence is preempted (paged_rules.py, as in tokenmaxxing).
    Everything else is continuous's: joiners prefill whole, in steps of their own.
    """

    name = "continuous-paged"
    kv_layout = "paged"
    uses = ("max_num_seqs", "max_batch_tokens", "block_size", "kv_budget_tokens")
    knob_specs = (WATERMARK,)
    kv: PagedKVCache

    def __init__(self, config, kv):
        super().__init__(config, kv)
        self.keep_free = watermark_blocks(self)

    @classmethod
    def largest_step_tokens(cls, config: SchedulerConfig, prompts: PromptStats) -> int:
        # A preempted sequence rejoins with its outputs so far, up to max_model_len tokens.
        return max(config.max_batch_tokens, config.max_model_len)

    def check_fits(self, seq: Sequence) -> None:
        check_fits_blocks(self.kv, seq)

    def _slots(self) -> int:
        return self.config.max_num_seqs

    def _take_kv(self, seq: Sequence) -> bool:
        others = bool(self.running or self.joining)
        return admits(self.kv, seq, seq.num_tokens, others, self.keep_free) and self.kv.allocate(seq, seq.num_tokens)

    def decode_repeats(self, plan: StepPlan) -> int:
        # The same decodes while blocks last: joiners refused now are refused with fewer free blocks too.
        return decodes_until_blocks_run_out(self.kv, self.running)

    def repeated(self, plan: StepPlan, steps: int) -> list[int]:
        return take_decode_blocks(self.kv, self.running, steps)

    def _grow(self) -> None:
        i = 0
        while i < len(self.running):  # oldest first; the older ones keep their blocks
            seq = self.running[i]
            if not make_room(self, seq, seq.num_tokens, self.running, self.waiting,
                             {s.seq_id for s in self.running[:i]}):
                break  # seq itself was preempted: it was the newest left
            i += 1
