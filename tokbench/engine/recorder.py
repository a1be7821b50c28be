"""Append-only records of a run: every summary number is computed from these tables alone."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tokbench.engine.plan import StepPlan
from tokbench.engine.sequence import Sequence

STEP_COLUMNS = [
    "step", "start_s", "end_s", "duration_s", "schedule_s", "prepare_s", "kind", "layout", "batch_size",
    "real_tokens", "padded_tokens", "prefill_tokens", "decode_tokens", "token_budget",
    "sampled_tokens", "attention_pairs", "kv_used_tokens", "kv_reserved_tokens", "kv_capacity_tokens",
    "kv_read_tokens", "preemptions", "max_context_tokens",
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
    # The tokens table as three columns: a long run makes tens of millions of rows.
    token_request_ids: array = field(default_factory=lambda: array("q"))
    token_indices: array = field(default_factory=lambda: array("q"))
    token_times: array = field(default_factory=lambda: array("d"))
    outputs: dict[int, list[int]] = field(default_factory=dict)

    def step(self, plan: StepPlan, *, start_s: float, end_s: float, schedule_s: float, prepare_s: float, kv_used: int,
             kv_reserved: int, kv_capacity: int, preemptions: int) -> None:
        c = plan.counts
        self.steps.append((
            len(self.steps), start_s, end_s, end_s - start_s, schedule_s, prepare_s, c.kind, plan.layout,
            c.batch_size, c.real_tokens, c.padded_tokens, c.prefill_tokens, c.decode_tokens, plan.token_budget,
            c.sampled_tokens, c.attention_pairs, kv_used, kv_reserved, kv_capacity, c.kv_read_tokens, preemptions,
            c.max_context_tokens,
        ))

    def token(self, seq: Sequence, time_s: float) -> None:
        self.token_request_ids.append(seq.seq_id)
        self.token_indices.append(len(seq.token_ids) - seq.prompt_len - 1)
        self.token_times.append(time_s)

    @property
    def num_tokens(self) -> int:
        return len(self.token_times)

    def finish(self, seq: Sequence, first_token_s: float, finish_s: float) -> None:
        r = seq.request
        self.requests.append((r.request_id, r.arrival_s, seq.first_scheduled_s, first_token_s, finish_s,
                              r.prompt_len, seq.num_output, seq.num_preemptions))
        self.outputs[r.request_id] = seq.output_ids

    def tables(self) -> dict[str, pd.DataFrame]:
        steps = pd.DataFrame(self.steps, columns=STEP_COLUMNS)
        steps["token_budget"] = steps["token_budget"].astype("Int64")
        return {
            "steps": steps,
            "requests": pd.DataFrame(self.requests, columns=REQUEST_COLUMNS).sort_values("request_id",
                                                                                          ignore_index=True),
            "tokens": pd.DataFrame({
                "request_id": np.frombuffer(self.token_request_ids, dtype=np.int64).copy(),
                "index": np.frombuffer(self.token_indices, dtype=np.int64).copy(),
                "time_s": np.frombuffer(self.token_times, dtype=np.float64).copy(),
            }, columns=TOKEN_COLUMNS),
        }
