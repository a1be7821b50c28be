"""Tokenmaxxing: continuous batching that fills every step's token budget.

Each step: every running sequence past its prefill decodes one token; the rest of the budget goes
to prefill chunks (unfinished prefills first, then new arrivals, FCFS or shortest-first), all in
one packed forward. KV is paged and allocated on demand; a finished request's blocks return at
once and the running list closes ranks. When blocks run out the newest running request is
preempted (its KV dropped, recomputed later; nothing is lost). New requests are admitted only
while free blocks stay above a watermark (paged_rules.py), counting the footprint the `admission`
knob names: the first chunk (optimistic, most concurrency, may thrash when prompts are long), the
whole prompt (vLLM's block manager before its V1 engine), or the whole final length of every running
request (no preemption ever, as TensorRT-LLM's guaranteed-no-evict capacity policy).
"""

from __future__ import annotations

from collections import deque

from tokbench.benchmark.strategy_registry import register, register_variant
from tokbench.engine.knobs import Knob, resolve_knobs
from tokbench.engine.kv_base import PagedKVCache
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.policy import PromptStats, SchedulerConfig, Strategy
from tokbench.engine.sequence import Sequence
from tokbench.strategies.paged_rules import (WATERMARK, admits, check_fits_blocks, decodes_until_blocks_run_out, make_room,
                                             take_decode_blocks, watermark_blocks)

CHUNK_SIZE = Knob("chunk_size", int, 512, "Longest prefill chunk in one step.", minimum=1)
ADMISSION = Knob("admission", str, "prompt", "Footprint a new request must fit in free KV blocks to be admitted: "
                 "chunk (its first chunk), prompt (its whole prompt, allocated at once) or final (its prompt "
                 "and max_tokens, with every running request's growth: never preempts).",
                 choices=("chunk", "prompt", "final"))
CHUNKED_PREFILL = Knob("chunked_prefill", bool, True, "Split prefills into chunks that fill the token budget "
                       "(false: a prefill runs whole, in one step).")


@register
class TokenMaxxing(Strategy):
    name = "tokenmaxxing"
    kv_layout = "paged"
    uses = ("max_num_seqs", "max_batch_tokens", "block_size", "kv_budget_tokens")
    knob_specs = (
        CHUNK_SIZE,
        WATERMARK,
        ADMISSION,
        Knob("order", str, "fcfs", "Admission order: fcfs, or sjf (shortest prompt first).", choices=("fcfs", "sjf")),
        CHUNKED_PREFILL,
    )
    kv: PagedKVCache

    def __init__(self, config, kv):
        super().__init__(config, kv)
        self.chunk_size = self.knob("chunk_size") if self.chunks_prefills(config) else None
        self.waiting: deque[Sequence] = deque()
        self.running: list[Sequence] = []  # admission order: oldest first, preempted last-in first
        self.keep_free = watermark_blocks(self)

    @classmethod
    def chunks_prefills(cls, config: SchedulerConfig) -> bool:
        return resolve_knobs(cls.knob_specs, config.knobs)["chunked_prefill"]

    @classmethod
    def largest_step_tokens(cls, config: SchedulerConfig, prompts: PromptStats) -> int:
        if cls.chunks_prefills(config):
            return config.max_batch_tokens
        # Whole prefills: one longer than the budget runs beside the decodes (a preempted sequence
        # is recomputed whole, up to max_model_len tokens).
        return max(config.max_batch_tokens, config.max_num_seqs - 1 + config.max_model_len)

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
        check_fits_blocks(self.kv, seq)

    def plan(self, now: float) -> StepPlan | None:
        budget = self.config.max_batch_tokens
        running = self.running
        chunks: list[SeqChunk] = []
        # Decodes first (one token each), then unfinished prefills; both oldest first. A preemption
        # takes a sequence at or after index i out of `running`: i then holds the next one.
        i = 0
        prefills = False
        tables, block = self.kv.block_tables, self.kv.block_size
        while i < len(running) and budget > 0:
            seq = running[i]
            computed = seq.num_computed
            if len(seq.token_ids) - computed != 1:
                prefills = True
                i += 1
                continue
            # Most decodes land inside their last block: the table says so without an allocation call.
            table = tables.get(seq.seq_id)
            if (table is not None and computed < len(table) * block) or self._room(seq, computed + 1, chunks):
                chunks.append(SeqChunk(seq, computed, 1))
                budget -= 1
                i += 1
        i = 0
        while prefills and i < len(running) and budget > 0:
            seq = running[i]
            n = 0 if seq.num_uncomputed == 1 else self._tokens_now(seq, budget, chunks)  # decodes are done
            if not n:
                i += 1
            elif self._room(seq, seq.num_computed + n, chunks):
                chunks.append(SeqChunk(seq, seq.num_computed, n))
                budget -= n
                i += 1
        self._admit(chunks, budget)
        if not chunks:
            return None
        return StepPlan(tuple(chunks), "packed")

    def _room(self, seq: Sequence, num_tokens: int, chunks: list[SeqChunk]) -> bool:
        """make_room for `seq`, the sequences of `chunks` protected; most often its blocks are there already
        (allocate returns at once), and the protected set is only built when they are not."""
        return self.kv.allocate(seq, num_tokens) or make_room(self, seq, num_tokens, self.running, self.waiting,
                                                              {c.seq.seq_id for c in chunks})

    def step_done(self, plan: StepPlan) -> None:
        self.running = self.release_finished(self.running)

    def decode_repeats(self, plan: StepPlan) -> int:
        # The same decodes while blocks last: the budget and the queues stay as they are, and a request
        # refused admission now is refused with fewer free blocks too.
        return decodes_until_blocks_run_out(self.kv, [c.seq for c in plan.chunks])

    def arrivals_wait(self, plan: StepPlan) -> bool:
        # First come, first served, an arrival queues behind a request refused admission this time (refused
        # again, with fewer free blocks); in any order it waits while max_num_seqs requests run.
        fcfs_blocked = self.knob("order") == "fcfs" and bool(self.waiting)
        return fcfs_blocked or len(self.running) >= self.config.max_num_seqs

    def repeated(self, plan: StepPlan, steps: int) -> list[int]:
        return take_decode_blocks(self.kv, [c.seq for c in plan.chunks], steps)

    def _tokens_now(self, seq: Sequence, budget: int, chunks: list[SeqChunk]) -> int:
        """Tokens of `seq` to compute in this step: its decode token; a prefill chunk that fits the budget;
        or, without chunking, its whole prefill if that fits (or if it never could and the step has no
        other prefill), else none."""
        if self.chunk_size is not None:
            return min(seq.num_uncomputed, budget, self.chunk_size)
        whole = seq.num_uncomputed
        if whole <= budget:
            return whole
        alone = whole > self.config.max_batch_tokens and not any(c.is_prefill for c in chunks)
        return whole if alone else 0

    def _admit(self, chunks: list[SeqChunk], budget: int) -> None:
        admission = self.knob("admission")
        growth = None  # blocks the running requests will still take, for admission=final
        while self.waiting and budget > 0 and len(self.running) < self.config.max_num_seqs:
            seq = self.waiting[0]
            n = self._tokens_now(seq, budget, chunks)
            if not n:
                break
            if admission == "final":
                if growth is None:
                    growth = sum(self.kv.blocks_needed(s, s.final_len) for s in self.running)
                if self.running and self.kv.num_free_blocks - growth < self.kv.blocks_needed(seq, seq.final_len):
                    break
            footprint = seq.num_tokens if admission == "prompt" else n
            if not admits(self.kv, seq, footprint, bool(self.running), self.keep_free):
                break
            if not self.kv.allocate(seq, max(footprint, n)):
                break
            if growth is not None:
                growth += self.kv.blocks_needed(seq, seq.final_len)
            self.waiting.popleft()
            self.running.append(seq)
            chunks.append(SeqChunk(seq, 0, n))
            budget -= n


@register_variant
class TokenMaxxingNoChunk(TokenMaxxing):
    """Tokenmaxxing with chunked_prefill fixed off: the ablation's step that shows what chunking adds.

    Prefills still share steps with decodes under the token budget, but each runs whole."""

    name = "tokenmaxxing-nochunk"
    knob_specs = tuple(k for k in TokenMaxxing.knob_specs if k not in (CHUNK_SIZE, CHUNKED_PREFILL))

    @classmethod
    def chunks_prefills(cls, config: SchedulerConfig) -> bool:
        return False
