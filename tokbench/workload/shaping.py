"""Apply the user's options to a LengthTable: window, sample/limit, scaling, over-length, offline.

Order matters and is documented: window and sampling act on the recorded time line; lengths are
scaled before they are checked against max_model_len; arrival scaling comes last.
"""

from __future__ import annotations

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


def _fit_max_model_len(table: LengthTable, max_model_len: int, policy: str) -> LengthTable:
    total = table.prompt_len + table.output_len
    over = total > max_model_len
    count = int(over.sum())
    if policy == "refuse" and count:
        raise UserError(f"{table.source.get('name', 'workload')}: {count} of {len(table)} request(s) need more than "
                        f"max_model_len {max_model_len} tokens (prompt + output); choose --over-length clip or drop, "
                        "or --length-scale")
    if policy == "drop":
        table = table.take(~over)
        table.source["dropped_over_length"] = count
        return table
    # Clip proportionally: the request keeps its prefill/decode balance, each part at least 1.
    prompt = np.clip((table.prompt_len[over] * max_model_len) // total[over], 1, max_model_len - 1)
    table.prompt_len[over] = prompt
    table.output_len[over] = np.minimum(table.output_len[over], max_model_len - prompt)
    table.source["clipped_over_length"] = count
    return table


def shape(
    table: LengthTable, options: WorkloadOptions, *, seed: int, max_model_len: int | None, name: str
) -> LengthTable:
    """The table `load_workload` turns into requests (or `profile` describes)."""
    table = _select(table, options, seed, name)
    table.prompt_len = table.prompt_len.astype(np.int64, copy=True)
    table.output_len = table.output_len.astype(np.int64, copy=True)
    _scale_lengths(table, options.length_scale)
    if max_model_len is not None:
        if max_model_len < 2:
            raise UserError(f"max_model_len must be at least 2, got {max_model_len}")
        table = _fit_max_model_len(table, max_model_len, options.over_length)
        if len(table) == 0:
            raise UserError(f"{name}: every request is longer than max_model_len {max_model_len} (--over-length drop)")
    if table.arrival_s is None or options.offline:
        table.arrival_s = np.zeros(len(table))
    else:
        table.arrival_s = (table.arrival_s - table.arrival_s[0]) * options.arrival_stretch
    table.source["options"] = options.as_dict()
    table.source["num_requests"] = len(table)
    return table
