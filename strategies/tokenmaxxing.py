"""Tokenmaxxing: continuous batching that fills every step's token budget.

Each step: every running sequence past its prefill decodes one token; the rest of the budget goes
to prefill chunks (unfinished prefills first, then new arrivals, FCFS or shortest-first), all in
one packed forward. KV is paged and allocated on demand; a finished request's blocks return at
once and the running list closes ranks. When blocks run out the newest running request is
preempted (its KV dropped, recomputed later; nothing is lost). New requests are admitted only
while free blocks stay above a watermark.
"""

from __future__ import annotations

from collections import deque

from tokbench.benchmark.strategy_registry import register
from tokbench.engine.knobs import Knob
from tokbench.engine.kv_base import PagedKVCache
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.policy import PromptStats, SchedulerConfig, Strategy
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError


@register
class TokenMaxxing(Strategy):
    name = "tokenmaxxing"
    kv_layout = "paged"
    uses = ("max_num_seqs", "max_batch_tokens", "block_size", "kv_budget_tokens")
    knob_specs = (
        Knob("chunk_size", int, 512, "Longest prefill chunk in one step.", minimum=1),
        Knob("watermark", float, 0.01, "Fraction of KV blocks kept free when admitting new requests.",
             minimum=0.0, below=1.0),
        Knob("order", str, "fcfs", "Admission order: fcfs, or sjf (shortest prompt first).", choices=("fcfs", "sjf")),
    )
    kv: PagedKVCache

    def __init__(self, config, kv):
        super().__init__(config, kv)
        self.chunk_size = self.knob("chunk_size")
        self.waiting: deque[Sequence] = deque()
        self.running: list[Sequence] = []  # admission order: oldest first, preempted last-in first
        self.watermark_blocks = int(self.knob("watermark") * kv.num_blocks)

    @classmethod
    def largest_step_tokens(cls, config: SchedulerConfig, prompts: PromptStats) -> int:
        return config.max_batch_tokens

    def add(self, seq: Sequence) -> None:
        if self.knob("order") == "sjf":
            # Shortest prompt first among those not yet started; ties keep arrival order.
            i = len(self.waiting)
            while i > 0 and self.waiting[i - 1].num_computed == 0 and self.waiting[i - 1].num_tokens > seq.num_tokens:
                i -= 1
            self.waiting.insert(i, seq)
        else:
            self.waiting.append(seq)

    def has_work(self) -> bool:
        return bool(self.waiting or self.running)

    def check_fits(self, seq: Sequence) -> None:
        blocks = self.kv.blocks_for(seq.final_len)
        if blocks > self.kv.num_blocks:
            raise UserError(f"request {seq.seq_id} needs {seq.final_len} KV slots = {blocks} blocks of "
                            f"{self.kv.block_size}; the KV budget holds {self.kv.num_blocks}")

    def plan(self, now: float) -> StepPlan | None:
        budget = self.config.max_batch_tokens
        chunks: list[SeqChunk] = []
        scheduled: set[int] = set()
        # Decodes first, then unfinished prefills; both oldest first.
        for want_decode in (True, False):
            i = 0
            while i < len(self.running) and budget > 0:
                seq = self.running[i]
                if seq.seq_id in scheduled or (seq.num_uncomputed == 1) != want_decode:
                    i += 1
                    continue
                n = min(seq.num_uncomputed, budget, self.chunk_size)
                if self._make_room(seq, seq.num_computed + n, scheduled):
                    chunks.append(SeqChunk(seq, seq.num_computed, n))
                    scheduled.add(seq.seq_id)
                    budget -= n
                    i += 1
                # else seq was preempted and left `running`: index i already holds the next one
        self._admit(chunks, budget)
        if not chunks:
            return None
        return StepPlan(tuple(chunks), "packed", token_budget=self.config.max_batch_tokens)

    def step_done(self, plan: StepPlan) -> None:
        done = [s for s in self.running if s.finished]
        for seq in done:
            self.kv.free(seq)
        if done:
            self.running = [s for s in self.running if not s.finished]

    def _make_room(self, seq: Sequence, num_tokens: int, scheduled: set[int]) -> bool:
        """Allocate blocks for seq, preempting the newest unscheduled running sequences as needed."""
        while not self.kv.allocate(seq, num_tokens):
            # seq itself is unscheduled, so a victim always exists.
            victim = next(s for s in reversed(self.running) if s.seq_id not in scheduled)
            self.running.remove(victim)
            self.preempt(victim)
            self.waiting.appendleft(victim)
            if victim is seq:
                return False
        return True

    def _admit(self, chunks: list[SeqChunk], budget: int) -> None:
        while self.waiting and budget > 0 and len(self.running) < self.config.max_num_seqs:
            seq = self.waiting[0]
            n = min(seq.num_uncomputed, budget, self.chunk_size)
            need = self.kv.blocks_needed(seq, n)
            # Backpressure: keep a watermark of free blocks for running requests to grow into,
            # unless nothing runs (then the head of the queue must go, or nothing ever would).
            if self.running and self.kv.num_free_blocks - need < self.watermark_blocks:
                break
            if not self.kv.allocate(seq, n):
                break
            self.waiting.popleft()
            self.running.append(seq)
            chunks.append(SeqChunk(seq, 0, n))
            budget -= n
