"""First-Fit-Decreasing sequence packing.

When the engine is free, the waiting requests are bin-packed First-Fit-Decreasing by token
footprint (prompt + output, aligned up to 16) into bins of a token budget. A bin is prefilled as
one packed ribbon and decodes together without padding; it is static until its last request ends.
Each request reserves exactly its aligned footprint of contiguous KV.
"""

from __future__ import annotations

import numpy as np

from tokbench.benchmark.strategy_registry import register
from tokbench.engine.knobs import Knob
from tokbench.engine.kv_base import ContiguousKVCache
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.policy import UNTIL_CHANGE, PromptStats, SchedulerConfig, Strategy
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError

ALIGN = 16


def footprint(seq: Sequence) -> int:
    return -(-seq.final_len // ALIGN) * ALIGN


@register
class FFDPacking(Strategy):
    name = "ffd-packing"
    kv_layout = "contiguous"
    uses = ("max_num_seqs", "kv_budget_tokens")
    knob_specs = (Knob("bin_tokens", int, None, "Bin capacity in tokens (default: the KV budget).", minimum=1),)
    kv: ContiguousKVCache

    def __init__(self, config, kv):
        super().__init__(config, kv)
        self.capacity = min(self.knob("bin_tokens") or kv.capacity, kv.capacity)
        self.waiting: list[Sequence] = []
        self.bin: list[Sequence] = []

    @classmethod
    def largest_step_tokens(cls, config: SchedulerConfig, prompts: PromptStats) -> int:
        # A bin's prefill is one ribbon of its prompts: at most a bin, at most max_num_seqs prompts.
        capacity = min(config.knobs.get("bin_tokens") or config.kv_budget_tokens, config.kv_budget_tokens)
        return min(capacity, config.max_num_seqs * prompts.longest, prompts.total)

    def add(self, seq: Sequence) -> None:
        self.waiting.append(seq)

    def has_work(self) -> bool:
        return bool(self.waiting or self.bin)

    def check_fits(self, seq: Sequence) -> None:
        if footprint(seq) > self.capacity:
            raise UserError(f"request {seq.seq_id} needs {footprint(seq)} KV slots; the ffd-packing bin "
                            f"holds {self.capacity} (--bin-tokens / --kv-budget-tokens)")

    def plan(self, now: float) -> StepPlan | None:
        if not self.bin and not self._start_bin():
            return None
        if self.bin[0].num_computed == 0:
            return StepPlan(tuple(SeqChunk(s, 0, s.num_tokens) for s in self.bin), "packed")
        live = tuple(SeqChunk(s, s.num_tokens - 1, 1) for s in self.bin if not s.finished)
        return StepPlan(live, "packed")

    def decode_repeats(self, plan: StepPlan) -> int:
        return UNTIL_CHANGE  # a bin decodes, in its reserved KV, until a member finishes

    def arrivals_wait(self, plan: StepPlan) -> bool:
        return True  # for the bin to end

    def step_done(self, plan: StepPlan) -> None:
        if all(s.finished for s in self.bin):
            for s in self.bin:
                self.kv.free(s)
            self.bin = []

    def _start_bin(self) -> bool:
        if not self.waiting:
            return False
        from tokbench.workload.ffd import ffd_pack

        sizes = np.array([footprint(s) for s in self.waiting], dtype=np.int64)
        bins = ffd_pack(sizes, self.capacity, align=ALIGN)
        # FFD opens bins in decreasing-size order; run the first one, re-pack the rest later
        # (online arrivals may join them). A bin is also capped at max_num_seqs requests.
        members = [s for s, b in zip(self.waiting, bins) if b == bins.min()]
        members.sort(key=footprint, reverse=True)
        members = members[: self.config.max_num_seqs]
        for seq in members:
            if not self.kv.reserve(seq, footprint(seq)):
                raise RuntimeError("ffd-packing: a bin did not fit its own KV budget")
        chosen = {s.seq_id for s in members}
        self.waiting = [s for s in self.waiting if s.seq_id not in chosen]
        self.bin = members
        return True
