"""Continuous (iteration-level, Orca-style) batching with contiguous KV.

A finished request leaves at once and a waiting one takes its slot. Joiners are prefilled together
in one step (no padding, no chunking), then decode with the rest. Output lengths are unknown in
advance, so every slot reserves KV for max_model_len: the KV budget fixes how many slots exist.
"""

from __future__ import annotations

from collections import deque

from tokbench.benchmark.strategy_registry import register
from tokbench.engine.kv_base import ContiguousKVCache
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.policy import PromptStats, SchedulerConfig, Strategy
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError


@register
class Continuous(Strategy):
    name = "continuous"
    kv_layout = "contiguous"
    uses = ("max_num_seqs", "max_batch_tokens", "kv_budget_tokens", "max_model_len")
    kv: ContiguousKVCache

    def __init__(self, config, kv):
        super().__init__(config, kv)
        self.slots = min(config.max_num_seqs, kv.capacity // config.max_model_len)
        if self.slots < 1:
            raise UserError(f"a KV budget of {kv.capacity} slots holds no continuous-batching slot: each "
                            f"reserves max_model_len ({config.max_model_len} tokens); give --kv-budget-tokens "
                            f"{config.max_model_len} or more, or a smaller --max-model-len")
        self.waiting: deque[Sequence] = deque()
        self.running: list[Sequence] = []
        self.joining: list[Sequence] = []

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
            if self.joining and seq.prompt_len > budget:
                break
            if not self.kv.reserve(seq, self.config.max_model_len):
                break
            self.joining.append(self.waiting.popleft())
            budget -= seq.prompt_len
        if self.joining:
            return StepPlan(tuple(SeqChunk(s, 0, s.num_tokens) for s in self.joining), "packed",
                            token_budget=self.config.max_batch_tokens)
        if self.running:
            return StepPlan(tuple(SeqChunk(s, s.num_tokens - 1, 1) for s in self.running), "packed",
                            token_budget=self.slots)
        return None

    def step_done(self, plan: StepPlan) -> None:
        self.running.extend(self.joining)
        self.joining = []
        for seq in [s for s in self.running if s.finished]:
            self.kv.free(seq)
        self.running = [s for s in self.running if not s.finished]
