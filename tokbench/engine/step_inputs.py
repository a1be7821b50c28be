"""Turn a StepPlan into the flat tensors one forward pass needs (ids, positions, KV addresses).

The host work is a handful of list comprehensions over the plan's columns (step_columns.py: each
chunk's sequence, start and length, read once per step) and vector operations on them: no per-token Python loop,
and no per-sequence tensor. Block tables and KV slots come from the KV cache's persistent arrays
(`PagedKV.table_array`, `ContiguousKV.runs_of`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from tokbench.engine.kv_base import KVCache
from tokbench.engine.plan import StepPlan
from tokbench.engine.step_columns import columns


@dataclass
class StepInputs:
    layout: str
    input_ids: torch.Tensor  # [T] (padded plans: the whole rectangle, row-major)
    positions: torch.Tensor  # [T]
    slot_mapping: torch.Tensor  # [real tokens]: where each real token's K/V is written
    real_index: torch.Tensor | None  # padded plans: rows of [T] that are real tokens
    sample_index: torch.Tensor  # rows of [T] whose hidden state yields a new token
    q_lens: list[int]
    ctx_lens: list[int]  # context each chunk attends to (its KV after this step's write)
    kv: KVCache
    padded_len: int = 0
    max_model_len: int = 0
    # contiguous KV: base slot of each row; paged KV: block ids of each row, [rows, width] int64 on
    # the host, zero past the blocks that hold the row's context (width: the longest row's blocks)
    bases: list[int] | None = None
    block_table: torch.Tensor | None = None
    samples: list[bool] = field(default_factory=list)  # per chunk: whether it yields a token


def _token_ids(seqs, starts: list[int], lens: list[int], row_len: int) -> list[int]:
    """The step's input ids in ribbon order (padded plans: each row padded with 0 to row_len)."""
    if row_len == 0 and len(lens) == sum(lens):  # a decode step: one token per chunk
        return [q.token_ids[s] for q, s in zip(seqs, starts)]
    if row_len == 1:  # a padded decode step: finished rows are one padding token
        return [q.token_ids[s] if n else 0 for q, s, n in zip(seqs, starts, lens)]
    ids: list[int] = []
    for q, s, n in zip(seqs, starts, lens):
        ids.extend(q.token_ids[s : s + n])
        if row_len:
            ids.extend([0] * (row_len - n))
    return ids


def to_device(arrays: list[np.ndarray], device: torch.device, dtype=np.int64) -> list[torch.Tensor]:
    """Host integer arrays -> tensors of `dtype` on `device`. On the CPU they are shared, not copied;
    elsewhere they travel as one buffer (one transfer, not one per array) and come back as views of it."""
    arrays = [np.asarray(a).astype(dtype, copy=False) for a in arrays]
    if device.type == "cpu":
        return [torch.from_numpy(a) for a in arrays]
    flat = torch.from_numpy(np.concatenate(arrays)).to(device, non_blocking=True)
    return list(flat.split([len(a) for a in arrays]))


def build_step_inputs(plan: StepPlan, kv: KVCache, device: torch.device, max_model_len: int) -> StepInputs:
    cols = columns(plan)
    seqs, starts, lens, samples, real = cols.seqs, cols.starts, cols.lengths, cols.samples, cols.real_tokens
    ctx_lens = [s + n for s, n in zip(starts, lens)]
    rows = len(lens)
    row_len = plan.padded_len if plan.layout == "padded" else 0

    start_a = np.array(starts, dtype=np.int64)
    one_each = cols.decode_only  # one token per chunk, in chunk order: token i is chunk i's
    len_a = None if one_each and not row_len else np.array(lens, dtype=np.int64)
    # Real tokens: the chunk of each (tok_row, None: token i is chunk i) and its position (tok_pos).
    if one_each:
        tok_row, tok_pos = None, start_a
    else:
        tok_row = np.repeat(np.arange(rows), len_a)
        tok_pos = np.arange(real, dtype=np.int64) - np.repeat(np.cumsum(len_a) - len_a - start_a, len_a)
    if kv.layout == "paged":
        kv_rows = kv.rows_of(seqs)
        slots = kv.slot_array(kv_rows if one_each else kv_rows[tok_row], tok_pos)
        width = max(1, -(-max(ctx_lens) // kv.block_size))
        extra = {"block_table": torch.from_numpy(kv.table_array(kv_rows, width))}
    else:
        bases, reserved = kv.runs_of(seqs)
        over = np.asarray(ctx_lens) > reserved
        if np.count_nonzero(over):
            i = int(np.argmax(over))
            raise IndexError(f"sequence {seqs[i].seq_id} needs {ctx_lens[i]} slots but reserved {int(reserved[i])}")
        slots = (bases if one_each else bases[tok_row]) + tok_pos
        extra = {"bases": bases.tolist()}

    if one_each and row_len <= 1 and all(samples):  # token i is row i's, and it samples
        sample_index = np.arange(rows, dtype=np.int64)
    else:
        sampling = np.flatnonzero(np.array(samples, dtype=bool))
        if len_a is None:
            len_a = np.array(lens, dtype=np.int64)
        sample_index = sampling * row_len + len_a[sampling] - 1 if row_len else (np.cumsum(len_a) - 1)[sampling]
    longs = [np.array(_token_ids(seqs, starts, lens, row_len), dtype=np.int64), tok_pos, slots, sample_index]
    if row_len == 1 and one_each:  # a rectangle one token wide, no finished row: every token is real
        longs.append(np.arange(rows, dtype=np.int64))
    elif row_len:
        # A rectangle: row r's real tokens are columns 0..len-1; padding runs at harmless positions
        # past them (capped at the table's end); its K/V are never stored or attended to.
        col = np.arange(row_len)
        len_c = len_a[:, None]
        is_real = col[None, :] < len_c
        last = np.minimum(start_a + len_a, max_model_len - 1)[:, None]
        pad_pos = np.minimum(last + (col[None, :] - len_c), max_model_len - 1)
        longs[1] = np.where(is_real, start_a[:, None] + col[None, :], pad_pos).ravel()
        longs.append(np.flatnonzero(is_real.ravel()))
    ids, positions, slot_mapping, sample_index, *real_index = to_device(longs, device)
    return StepInputs(
        layout=plan.layout, input_ids=ids, positions=positions, slot_mapping=slot_mapping,
        real_index=real_index[0] if real_index else None, sample_index=sample_index, q_lens=lens,
        ctx_lens=ctx_lens, kv=kv, padded_len=row_len, max_model_len=max_model_len, samples=samples, **extra,
    )
