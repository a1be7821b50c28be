"""Append-only records of a run: every summary number is computed from these tables alone."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from tokbench.engine.labelled import Labelled, merged
from tokbench.engine.plan import StepPlan
from tokbench.engine.repeated_steps import RepeatedRuns
from tokbench.engine.sequence import Sequence
from tokbench.engine.step_columns import StepColumns

STEP_COLUMNS = [
    "step", "start_s", "end_s", "duration_s", "schedule_s", "prepare_s", "kind", "layout", "batch_size",
    "real_tokens", "padded_tokens", "prefill_tokens", "decode_tokens", "token_budget",
    "sampled_tokens", "attention_pairs", "kv_used_tokens", "kv_reserved_tokens", "kv_capacity_tokens",
    "kv_read_tokens", "preemptions", "max_context_tokens",
]
REQUEST_COLUMNS = [
    "request_id", "arrival_s", "first_scheduled_s", "first_token_s", "finish_s", "prompt_len",
    "output_len", "preemptions", "recomputed_tokens",
]
TOKEN_COLUMNS = ["request_id", "index", "time_s"]


class StepCounts(NamedTuple):
    """A plan's token counts, by StepPlan's and SeqChunk's definitions, read from its columns in one go.

    A NamedTuple: a simulation makes one per step, and a frozen dataclass cost several times more."""

    kind: str
    real_tokens: int
    padded_tokens: int
    prefill_tokens: int
    decode_tokens: int
    sampled_tokens: int
    attention_pairs: int  # sum over chunks of length x context
    kv_read_tokens: int  # sum of the contexts of chunks that compute something
    max_context_tokens: int  # the longest chunk's context, padded rows included (a rectangle's key span)

    @staticmethod
    def of(cols: StepColumns) -> "StepCounts":
        """The counts of `cols`; the loop's and the cost model's reads of one step's columns count once."""
        if _memo[0] is cols:
            return _memo[1]
        counts = StepCounts._count(cols)
        _memo[0], _memo[1] = cols, counts
        return counts

    @staticmethod
    def _count(cols: StepColumns) -> "StepCounts":
        plan, seqs, starts, lens, samples = cols.plan, cols.seqs, cols.starts, cols.lengths, cols.samples
        real = cols.real_tokens
        # SeqChunk.is_decode: one token past the prompt that yields the next token.
        decode = sum([n == 1 and f and s >= q.prompt_len for q, s, n, f in zip(seqs, starts, lens, samples)])
        prefill = real - decode
        if cols.decode_only:  # one token per chunk: length x context = context = start + 1
            pairs = read = sum(starts) + real
            longest = max(starts) + 1
        else:
            pairs = sum([n * (s + n) for s, n in zip(starts, lens)])
            read = sum([s + n for s, n in zip(starts, lens) if n])
            longest = max([s + n for s, n in zip(starts, lens)])
        padded = len(lens) * plan.padded_len - real if plan.layout == "padded" else 0
        kind = "mixed" if prefill and decode else ("prefill" if prefill else "decode")
        return StepCounts(kind, real, padded, prefill, decode, sum(samples), pairs, read, longest)


_memo: list = [None, None]  # the columns counted last (held, so never another's by id) and their counts


@dataclass
class Recorder:
    steps: list[tuple] = field(default_factory=list)
    requests: list[tuple] = field(default_factory=list)
    # The tokens table as three columns: a long simulation records tens of millions of rows.
    token_request_ids: array = field(default_factory=lambda: array("q"))
    token_indices: array = field(default_factory=lambda: array("q"))
    token_times: array = field(default_factory=lambda: array("d"))
    outputs: dict[int, list[int]] = field(default_factory=dict)
    runs: RepeatedRuns = field(default_factory=RepeatedRuns)  # steps recorded as runs of repeats

    def step(self, plan: StepPlan, counts: StepCounts, *, start_s: float, end_s: float, schedule_s: float,
             prepare_s: float, kv_used: int, kv_reserved: int, kv_capacity: int, token_budget: int,
             preemptions: int) -> None:
        c = counts
        self.steps.append((
            self.num_steps, start_s, end_s, end_s - start_s, schedule_s, prepare_s, c.kind, plan.layout,
            len(plan.chunks), c.real_tokens, c.padded_tokens, c.prefill_tokens, c.decode_tokens,
            token_budget, c.sampled_tokens, c.attention_pairs, kv_used, kv_reserved, kv_capacity,
            c.kv_read_tokens, preemptions, c.max_context_tokens,
        ))

    def repeated(self, seqs: list[Sequence], start_s: float, ends: list[float], reserved: list[int],
                 **run) -> None:
        """Steps that repeat the last one, each giving every one of `seqs` (each decoding, in that order)
        its next token: the j-th ends at ends[j] with kv_reserved[j] (RepeatedRuns.add says the rest)."""
        self.runs.add(self.num_steps, start_s, ends, reserved, tokens_before=len(self.token_times),
                      seq_ids=[q.seq_id for q in seqs], last_indices=[len(q.token_ids) - q.prompt_len - 1 for q in seqs],
                      **run)

    @property
    def num_steps(self) -> int:
        return len(self.steps) + self.runs.num_steps

    def tokens_sampled(self, seqs: list[Sequence], time_s: float) -> None:
        """Each of `seqs` has just received its newest output token, at time_s (one bulk append)."""
        self.token_request_ids.extend([q.seq_id for q in seqs])
        self.token_indices.extend([len(q.token_ids) - q.prompt_len - 1 for q in seqs])
        self.token_times.extend([time_s] * len(seqs))

    @property
    def num_tokens(self) -> int:
        return len(self.token_times) + self.runs.num_tokens

    def finish(self, seq: Sequence, finish_s: float) -> None:
        r = seq.request
        self.requests.append((r.request_id, r.arrival_s, seq.first_scheduled_s, seq.first_token_s, finish_s,
                              r.prompt_len, seq.num_output, seq.num_preemptions,
                              seq.num_recomputed))
        self.outputs[r.request_id] = seq.output_ids

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "steps": self._steps_table(),
            "requests": pd.DataFrame(self.requests, columns=REQUEST_COLUMNS).sort_values("request_id",
                                                                                          ignore_index=True),
            "tokens": pd.DataFrame(self._token_columns(), columns=TOKEN_COLUMNS, copy=False),
        }

    def _steps_table(self) -> pd.DataFrame:
        if not self.runs.num_steps:
            return pd.DataFrame(self.steps, columns=STEP_COLUMNS)
        # Columns, not rows: a long simulation has millions of steps, most of them in repeated runs.
        repeated = self.runs.columns()
        planned = dict(zip(STEP_COLUMNS, zip(*self.steps)))
        at_repeated = repeated["step"]
        at_planned = np.asarray(planned["step"], dtype=np.int64)
        columns = {}
        for name in STEP_COLUMNS:
            theirs = repeated[name]
            if isinstance(theirs, Labelled):
                columns[name] = merged(Labelled.of(planned[name]), theirs, at_planned, at_repeated,
                                       self.num_steps).strings()
                continue
            ours = np.asarray(planned[name])
            column = np.empty(self.num_steps, dtype=np.result_type(ours.dtype, theirs.dtype))
            column[at_planned] = ours
            column[at_repeated] = theirs
            columns[name] = column
        return pd.DataFrame(columns, columns=STEP_COLUMNS, copy=False)  # not consolidated: no copy

    def _token_columns(self) -> dict[str, np.ndarray]:
        if self.runs.num_tokens:
            return self.runs.tokens(self.token_request_ids, self.token_indices, self.token_times)
        return {"request_id": np.frombuffer(self.token_request_ids, dtype=np.int64).copy(),
                "index": np.frombuffer(self.token_indices, dtype=np.int64).copy(),
                "time_s": np.frombuffer(self.token_times, dtype=np.float64).copy()}
