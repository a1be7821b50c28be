"""Static padded batching: the baseline every serving paper starts from.

Batches of up to max_num_seqs requests in arrival order. The prefill is one rectangle padded to
the longest prompt; the batch then decodes until its longest output is done, finished rows keeping
their place (and their cost). Each row reserves KV for the longest prompt + longest output.
"""

from __future__ import annotations

from collections import deque

from tokbench.benchmark.strategy_registry import register
from tokbench.engine.kv_base import ContiguousKVCache
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.policy import UNTIL_CHANGE, PromptStats, SchedulerConfig, Strategy
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError


@register
class StaticPadded(Strategy):
    name = "static-padded"
    kv_layout = "contiguous"
    uses = ("max_num_seqs", "kv_budget_tokens")
    kv: ContiguousKVCache

    def __init__(self, config, kv):
        super().__init__(config, kv)
        self.waiting: deque[Sequence] = deque()
        self.batch: list[Sequence] = []

    @classmethod
    def largest_step_tokens(cls, config: SchedulerConfig, prompts: PromptStats) -> int:
        # A padded rectangle, every row as long as the longest; each row also reserves that many KV
        # slots and more (its outputs), so the rectangle is smaller than the KV budget too.
        return min(config.max_num_seqs * prompts.longest, config.kv_budget_tokens)

    def add(self, seq: Sequence) -> None:
        self.waiting.append(seq)

    def has_work(self) -> bool:
        return bool(self.waiting or self.batch)

    def check_fits(self, seq: Sequence) -> None:
        if seq.final_len > self.kv.capacity:
            raise UserError(f"request {seq.seq_id} needs {seq.final_len} KV slots; the KV budget holds "
                            f"{self.kv.capacity}")

    def plan(self, now: float) -> StepPlan | None:
        if not self.batch and not self._form_batch():
            return None
        if self.batch[0].num_computed == 0:
            longest = max(s.prompt_len for s in self.batch)
            return StepPlan(tuple(SeqChunk(s, 0, s.prompt_len) for s in self.batch), "padded", padded_len=longest)
        rows = tuple(SeqChunk(s, s.num_tokens, 0) if s.finished else SeqChunk(s, s.num_tokens - 1, 1)
                     for s in self.batch)
        return StepPlan(rows, "padded", padded_len=1)

    def decode_repeats(self, plan: StepPlan) -> int:
        return UNTIL_CHANGE  # a batch decodes, in its reserved KV, until a row finishes

    def arrivals_wait(self, plan: StepPlan) -> bool:
        return True  # for the batch to end

    def step_done(self, plan: StepPlan) -> None:
        if all(s.finished for s in self.batch):
            for s in self.batch:
                self.kv.free(s)
            self.batch = []

    def _form_batch(self) -> bool:
        batch: list[Sequence] = []
        longest_prompt = longest_output = 0
        for seq in self.waiting:
            p = max(longest_prompt, seq.prompt_len)
            o = max(longest_output, seq.request.max_tokens)
            if len(batch) == self.config.max_num_seqs or (len(batch) + 1) * (p + o) > self.kv.capacity:
                break
            batch.append(seq)
            longest_prompt, longest_output = p, o
        if not batch:
            return False
        if not self.kv.reserve_group(batch, longest_prompt + longest_output):
            return False
        for _ in batch:
            self.waiting.popleft()
        self.batch = batch
        return True
