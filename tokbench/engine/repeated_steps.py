"""Runs of repeated decode steps: one record per run, expanded into steps-table rows at the end.

A simulation repeats a decode-only step for as long as the strategy promises it would plan the same
decodes one token further (Serving._repeat): most of a long simulation's steps. A tuple per step,
and tens of millions of tuples turned into a DataFrame, were most of its time; a run is recorded as
one tuple plus its steps' end times and KV reservations, and expanded with a few vector operations.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np


@dataclass
class RepeatedRuns:
    runs: list[tuple] = field(default_factory=list)
    ends: array = field(default_factory=lambda: array("d"))  # every repeated step's end_s, in step order
    reserved: array = field(default_factory=lambda: array("q"))  # and its kv_reserved_tokens
    num_steps: int = 0

    def add(self, first_step: int, start_s: float, ends: list[float], reserved: list[int], *, layout: str,
            batch: int, decodes: int, padded: int, pairs: int, read: int, span: int, empty_span: int,
            kv_used: int, kv_capacity: int, token_budget: int) -> None:
        """Steps first_step, first_step + 1, ... (one per entry of `ends`), the first starting at start_s.

        They repeat a step of `batch` rows, `decodes` of them decoding: in the j-th (from 1) every
        decoding row's context is j tokens longer than in that step, whose attention pairs, KV read,
        longest decoding context (span) and longest empty padded row (empty_span) are given, and
        `kv_used` grows by `decodes` a step from the value recorded for that step."""
        self.runs.append((first_step, len(ends), start_s, layout, batch, decodes, padded, pairs, read, span,
                          empty_span, kv_used, kv_capacity, token_budget))
        self.ends.extend(ends)
        self.reserved.extend(reserved)
        self.num_steps += len(ends)

    def columns(self) -> dict[str, np.ndarray]:
        """The steps-table columns of every repeated step, in step order."""
        (first, steps, start, layout, batch, decodes, padded, pairs, read, span, empty_span, used, capacity,
         budget) = zip(*self.runs)
        steps = np.asarray(steps, dtype=np.int64)
        run_of = np.repeat(np.arange(len(steps)), steps)
        offsets = np.cumsum(steps) - steps
        j = np.arange(self.num_steps, dtype=np.int64) - offsets[run_of] + 1
        per_step = lambda values, dtype=np.int64: np.asarray(values, dtype=dtype)[run_of]  # noqa: E731
        ends = np.frombuffer(self.ends, dtype=np.float64).copy()
        starts = np.empty_like(ends)
        starts[1:] = ends[:-1]
        starts[offsets] = start
        m = per_step(decodes)
        zeros = np.zeros(self.num_steps, dtype=np.int64)
        return {
            "step": per_step(first) + j - 1, "start_s": starts, "end_s": ends, "duration_s": ends - starts,
            "schedule_s": np.zeros(self.num_steps), "prepare_s": np.zeros(self.num_steps),
            "kind": np.full(self.num_steps, "decode", dtype=object), "layout": per_step(layout, object),
            "batch_size": per_step(batch), "real_tokens": m, "padded_tokens": per_step(padded),
            "prefill_tokens": zeros, "decode_tokens": m, "token_budget": per_step(budget), "sampled_tokens": m,
            "attention_pairs": per_step(pairs) + j * m, "kv_used_tokens": per_step(used) + j * m,
            "kv_reserved_tokens": np.frombuffer(self.reserved, dtype=np.int64).copy(),
            "kv_capacity_tokens": per_step(capacity), "kv_read_tokens": per_step(read) + j * m,
            "preemptions": zeros, "max_context_tokens": np.maximum(per_step(span) + j, per_step(empty_span)),
        }
