"""Append-only records of a run: every summary number is computed from these tables alone."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tokbench.engine.plan import StepPlan
from tokbench.engine.sequence import Sequence

STEP_COLUMNS = [
    "step", "start_s", "end_s", "duration_s", "schedule_s", "prepare_s", "kind", "layout", "batch_size",
    "real_tokens", "padded_tokens", "prefill_tokens", "decode_tokens", "token_budget",
    "sampled_tokens", "attention_pairs", "kv_used_tokens", "kv_reserved_tokens", "kv_capacity_tokens",
    "kv_read_tokens", "preemptions",
]
REQUEST_COLUMNS = [
    "request_id", "arrival_s", "first_scheduled_s", "first_token_s", "finish_s", "prompt_len",
    "output_len", "preemptions",
]
TOKEN_COLUMNS = ["request_id", "index", "time_s"]


@dataclass
class Recorder:
    steps: list[tuple] = field(default_factory=list)
    requests: list[tuple] = field(default_factory=list)
    tokens: list[tuple] = field(default_factory=list)
    outputs: dict[int, list[int]] = field(default_factory=dict)

    def step(self, plan: StepPlan, *, start_s: float, end_s: float, schedule_s: float, prepare_s: float, kv_used: int,
             kv_reserved: int, kv_capacity: int, token_budget: int, preemptions: int) -> None:
        self.steps.append((
            len(self.steps), start_s, end_s, end_s - start_s, schedule_s, prepare_s, plan.kind, plan.layout,
            len(plan.chunks), plan.real_tokens, plan.padded_tokens, plan.prefill_tokens,
            plan.decode_tokens, token_budget, sum(c.samples for c in plan.chunks),
            sum(c.length * (c.start + c.length) for c in plan.chunks), kv_used, kv_reserved, kv_capacity,
            sum(c.start + c.length for c in plan.chunks if c.length), preemptions,
        ))

    def token(self, seq: Sequence, time_s: float) -> None:
        self.tokens.append((seq.seq_id, seq.num_output - 1, time_s))

    def finish(self, seq: Sequence, first_token_s: float, finish_s: float) -> None:
        r = seq.request
        self.requests.append((r.request_id, r.arrival_s, seq.first_scheduled_s, first_token_s, finish_s,
                              r.prompt_len, seq.num_output, seq.num_preemptions))
        self.outputs[r.request_id] = seq.output_ids

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "steps": pd.DataFrame(self.steps, columns=STEP_COLUMNS),
            "requests": pd.DataFrame(self.requests, columns=REQUEST_COLUMNS).sort_values("request_id",
                                                                                          ignore_index=True),
            "tokens": pd.DataFrame(self.tokens, columns=TOKEN_COLUMNS),
        }
