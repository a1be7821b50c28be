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

from tokbench.engine.labelled import Labelled


@dataclass
class RepeatedRuns:
    runs: list[tuple] = field(default_factory=list)
    ends: array = field(default_factory=lambda: array("d"))  # every repeated step's end_s, in step order
    reserved: array = field(default_factory=lambda: array("q"))  # and its kv_reserved_tokens
    seq_ids: array = field(default_factory=lambda: array("q"))  # each run's decoding sequences, in row order
    last_indices: array = field(default_factory=lambda: array("q"))  # and their last output index before it
    num_steps: int = 0
    num_tokens: int = 0

    def add(self, first_step: int, start_s: float, ends: list[float], reserved: list[int], *, tokens_before: int,
            seq_ids: list[int], last_indices: list[int], layout: str, batch: int, padded: int, pairs: int,
            read: int, span: int, empty_span: int, kv_used: int, kv_capacity: int, token_budget: int) -> None:
        """Steps first_step, first_step + 1, ... (one per entry of `ends`), the first starting at start_s.

        They repeat a step of `batch` rows, len(seq_ids) of them decoding: in the j-th (from 1) every
        decoding row's context is j tokens longer than in that step, whose attention pairs, KV read,
        longest decoding context (span) and longest empty padded row (empty_span) are given, and
        `kv_used` grows by one a decoding row a step from the value recorded for that step. Each step
        gives sequence seq_ids[i] its output token last_indices[i] + j; they come after the first
        `tokens_before` tokens recorded one step at a time (Recorder.tokens_sampled)."""
        self.runs.append((first_step, len(ends), start_s, layout, batch, len(seq_ids), padded, pairs, read, span,
                          empty_span, kv_used, kv_capacity, token_budget, tokens_before))
        self.ends.extend(ends)
        self.reserved.extend(reserved)
        self.seq_ids.extend(seq_ids)
        self.last_indices.extend(last_indices)
        self.num_steps += len(ends)
        self.num_tokens += len(ends) * len(seq_ids)

    def columns(self) -> dict[str, np.ndarray | Labelled]:
        """The steps-table columns of every repeated step, in step order (text columns as Labelled)."""
        (first, steps, start, layout, batch, decodes, padded, pairs, read, span, empty_span, used, capacity,
         budget, _) = zip(*self.runs)
        steps = np.asarray(steps, dtype=np.int64)
        offsets = np.cumsum(steps) - steps
        j = np.arange(1, self.num_steps + 1, dtype=np.int64) - np.repeat(offsets, steps)  # from 1 in its run
        per_step = lambda values: np.repeat(np.asarray(values, dtype=np.int64), steps)  # noqa: E731
        ends = np.frombuffer(self.ends, dtype=np.float64).copy()
        starts = np.empty_like(ends)
        starts[1:] = ends[:-1]
        starts[offsets] = start
        m = per_step(decodes)
        zeros = np.zeros(self.num_steps, dtype=np.int64)
        layouts = sorted(set(layout))
        layout_codes = np.repeat(np.asarray([layouts.index(x) for x in layout], dtype=np.int8), steps)
        return {
            "step": per_step(first) + j - 1, "start_s": starts, "end_s": ends, "duration_s": ends - starts,
            "schedule_s": np.zeros(self.num_steps), "prepare_s": np.zeros(self.num_steps),
            "kind": Labelled(np.zeros(self.num_steps, dtype=np.int8), ["decode"]),
            "layout": Labelled(layout_codes, layouts),
            "batch_size": per_step(batch), "real_tokens": m, "padded_tokens": per_step(padded),
            "prefill_tokens": zeros, "decode_tokens": m, "token_budget": per_step(budget), "sampled_tokens": m,
            "attention_pairs": per_step(pairs) + j * m, "kv_used_tokens": per_step(used) + j * m,
            "kv_reserved_tokens": np.frombuffer(self.reserved, dtype=np.int64).copy(),
            "kv_capacity_tokens": per_step(capacity), "kv_read_tokens": per_step(read) + j * m,
            "preemptions": zeros, "max_context_tokens": np.maximum(per_step(span) + j, per_step(empty_span)),
        }

    def tokens(self, ids: array, indices: array, times: array) -> dict[str, np.ndarray]:
        """The tokens table's columns: the tokens recorded one step at a time (ids, indices, times)
        with every run's tokens in their place.

        Tens of millions of rows: every array below is built by repeats and one gather each, no
        division or scatter per token (those took most of a long simulation's table time)."""
        steps = np.fromiter((r[1] for r in self.runs), dtype=np.int64, count=len(self.runs))
        rows = np.fromiter((r[5] for r in self.runs), dtype=np.int64, count=len(self.runs))
        before = np.fromiter((r[14] for r in self.runs), dtype=np.int64, count=len(self.runs))
        rows_of_step = np.repeat(rows, steps)  # a run's steps each give every one of its rows a token
        first_step = np.cumsum(steps) - steps
        j = np.arange(1, self.num_steps + 1, dtype=np.int64) - np.repeat(first_step, steps)  # from 1 in its run
        first_token = np.cumsum(rows_of_step) - rows_of_step  # each step's first token among the runs'
        # Token t of a step reads its run's sequence (t - the step's first token): one offset a step.
        seq_at = np.arange(self.num_tokens, dtype=np.int64) + np.repeat(
            np.repeat(np.cumsum(rows) - rows, steps) - first_token, rows_of_step)
        run_columns = (np.frombuffer(self.seq_ids, dtype=np.int64)[seq_at],
                       np.frombuffer(self.last_indices, dtype=np.int64)[seq_at] + np.repeat(j, rows_of_step),
                       np.repeat(np.frombuffer(self.ends, dtype=np.float64), rows_of_step))
        # Token k recorded one step at a time comes after the runs' tokens recorded before it.
        ours_at = np.arange(len(times), dtype=np.int64)
        runs_before = np.concatenate([[0], np.cumsum(steps * rows)])[np.searchsorted(before, ours_at, side="right")]
        ours_at += runs_before
        in_run = np.ones(len(times) + self.num_tokens, dtype=bool)
        in_run[ours_at] = False
        out = []
        for ours, theirs, dtype in zip((ids, indices, times), run_columns, (np.int64, np.int64, np.float64)):
            column = np.empty(len(in_run), dtype=dtype)
            column[ours_at] = np.frombuffer(ours, dtype=dtype)
            column[in_run] = theirs
            out.append(column)
        return dict(zip(("request_id", "index", "time_s"), out))
