"""Apply the user's options to a LengthTable: window, sample/limit, scaling, offline, over-length.

Order matters and is documented: window and sampling act on the recorded time line; lengths are
scaled before they are checked against max_model_len. Fitting to max_model_len comes last and is
its own step, so `profile` can set the trace beside what a run would serve.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tokbench.errors import UserError
from tokbench.workload.options import WorkloadOptions
from tokbench.workload.table import LengthTable


def _select(table: LengthTable, options: WorkloadOptions, seed: int, name: str) -> LengthTable:
    if options.window is not None:
        if table.arrival_s is None:
            raise UserError(f"{name}: --window needs arrival times, and this workload has none")
        start, end = options.window
        table = table.take((table.arrival_s >= start) & (table.arrival_s < end))
        if len(table) == 0:
            raise UserError(f"{name}: no requests arrive inside --window {start:g}:{end:g}")
    if options.sample is not None and options.sample < len(table):
        picked = np.sort(np.random.default_rng(seed).choice(len(table), options.sample, replace=False))
        table = table.take(picked)
    if options.limit is not None and options.limit < len(table):
        table = table.take(np.arange(options.limit))
    return table


def _scale_lengths(table: LengthTable, scale: float) -> None:
    if scale == 1.0:
        return
    table.prompt_len = np.maximum(1, np.rint(table.prompt_len * scale)).astype(np.int64)
    table.output_len = np.maximum(1, np.rint(table.output_len * scale)).astype(np.int64)
    # Shared prefix blocks shrink or grow with the prompts, so the same share is reused.
    table.block_tokens = max(1, round(table.block_tokens * scale))


def fit_to_length(table: LengthTable, max_model_len: int, policy: str, *, name: str = "workload") -> LengthTable:
    """A copy of `table` whose requests fit max_model_len (prompt + output), by clipping or dropping
    the longer ones (or refusing them: an error); what changed is recorded in `source["fit"]` (the
    notes print it). Arrivals still start at 0 when the first request was dropped."""
    if max_model_len < 2:
        raise UserError(f"max_model_len must be at least 2, got {max_model_len}")
    total = table.prompt_len + table.output_len
    over = total > max_model_len
    count = int(over.sum())
    if policy == "refuse" and count:
        raise UserError(f"{table.source.get('name', name)}: {count} of {len(table)} request(s) need more than "
                        f"max_model_len {max_model_len} tokens (prompt + output); choose --over-length clip or drop, "
                        "or --length-scale")
    before = {"requests": len(table), "tokens": int(total.sum())}
    if policy == "drop":
        fitted = table.take(~over)
        if len(fitted) == 0:
            raise UserError(f"{name}: every request is longer than max_model_len {max_model_len} (--over-length drop)")
        fitted.arrival_s = fitted.arrival_s - fitted.arrival_s[0]
        fitted.source["dropped_over_length"] = count
    elif count == 0:  # nothing to change: share the columns (a 10M-row trace is not copied)
        fitted = replace(table, source=dict(table.source))
        fitted.source["clipped_over_length"] = 0
    else:
        # Clip proportionally: the request keeps its prefill/decode balance, each part at least 1.
        fitted = replace(table, prompt_len=table.prompt_len.copy(), output_len=table.output_len.copy(),
                         source=dict(table.source))
        prompt = np.clip((table.prompt_len[over] * max_model_len) // total[over], 1, max_model_len - 1)
        fitted.prompt_len[over] = prompt
        fitted.output_len[over] = np.minimum(table.output_len[over], max_model_len - prompt)
        fitted.source["clipped_over_length"] = count
    served = int(fitted.prompt_len.sum() + fitted.output_len.sum())
    fitted.source["fit"] = {
        "max_model_len": max_model_len,
        "over_length": policy,
        "requests": before["requests"],
        "rewritten": count,
        "tokens": before["tokens"],
        "tokens_served": served,
    }
    fitted.source["num_requests"] = len(fitted)
    return fitted


def shape(
    table: LengthTable, options: WorkloadOptions, *, seed: int, max_model_len: int | None, name: str
) -> LengthTable:
    """The table `load_workload` turns into requests (or `profile` describes)."""
    table = _select(table, options, seed, name)
    table.prompt_len = table.prompt_len.astype(np.int64, copy=True)
    table.output_len = table.output_len.astype(np.int64, copy=True)
    _scale_lengths(table, options.length_scale)
    if table.arrival_s is None or options.offline:
        table.arrival_s = np.zeros(len(table))
    else:
        table.arrival_s = (table.arrival_s - table.arrival_s[0]) * options.arrival_stretch
    table.source["options"] = options.as_dict()
    table.source["num_requests"] = len(table)
    if max_model_len is not None:
        table = fit_to_length(table, max_model_len, options.over_length, name=name)
    return table
