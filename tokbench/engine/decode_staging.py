"""A decode step laid out over a CUDA graph's rows, in host arrays kept from step to step.

Every row computes one token: row i is the plan's chunk i (a padded plan's finished row, length 0,
is padding that keeps its place); rows past the chunks are padding too: one dummy query over slot
0 of the cache, K/V stored nowhere (slot -1), token discarded.

The arrays are allocated once (`DecodeStaging`, pinned on CUDA: they are the graph buffers' host
mirror) and written in place with slice assignments, so a step costs a handful of vector operations
and no allocation. The block table is the one large input (rows × width); a row of it is written
only when it changed: when its sequence (its KV holding) or its block count differs from what the
row held last step, which on a decode step is a row crossing into a new block, or a row whose
sequence changed. `stage_decode` is the same staging done from scratch (the reference the
incremental one is tested against).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tokbench.engine.kv_base import KVCache
from tokbench.engine.plan import StepPlan
from tokbench.engine.step_columns import columns


@dataclass
class StagedDecode:
    """A decode step over `bucket` rows (views of the staging arrays: valid until the next step)."""

    bucket: int
    longs: np.ndarray  # int64 [3, bucket]: input ids, positions, slots (-1: padding, stored nowhere)
    ctx_lens: np.ndarray  # int32 [bucket]
    block_table: np.ndarray | None  # paged: int32 [bucket, width], zero past each row's context
    bases: np.ndarray | None  # contiguous: int32 [bucket]
    samples: list[bool]  # rows whose token the step returns

    @property
    def input_ids(self) -> np.ndarray:
        return self.longs[0]

    @property
    def positions(self) -> np.ndarray:
        return self.longs[1]

    @property
    def slots(self) -> np.ndarray:
        return self.longs[2]


class DecodeStaging:
    """Host arrays for up to `rows` decode rows; after each step, rows past its chunks are padding.

    Two buffers, so that a step reaches the device in two copies: `longs_t` (int64 [3, rows]: ids,
    positions, slots) and `ints_t` (int32: ctx lens [rows], then bases [rows], then the block table
    [rows, width]; a bucket's part of it is one prefix).
    """

    def __init__(self, rows: int, width: int, pin: bool = False):
        self.rows, self.width = rows, width
        w = max(width, 1)
        self.longs_t = torch.zeros(3, rows, dtype=torch.long, pin_memory=pin)
        self.ints_t = torch.zeros(rows * (2 + w), dtype=torch.int32, pin_memory=pin)
        self.longs = self.longs_t.numpy()
        ints = self.ints_t.numpy()
        self.ctx, self.bases, self.table = ints[:rows], ints[rows : 2 * rows], ints[2 * rows :].reshape(rows, w)
        self.columns = np.arange(width)
        # What each row of the block table holds: the KV holding (PagedKV.holdings; -1: none) and
        # how many of its blocks. A row is rewritten only where either differs from the step's.
        self.holding = np.full(rows, -1, dtype=np.int64)
        self.blocks = np.zeros(rows, dtype=np.int64)
        self.kv: KVCache | None = None
        self.dirty = rows  # rows [0, dirty) may hold a step's values
        self._pad(0, rows)

    def ints_prefix(self, bucket: int) -> int:
        """Length of the `ints_t` prefix a bucket's graph reads."""
        return 2 * self.rows + bucket * max(self.width, 1)

    def stage(self, plan: StepPlan, kv: KVCache, bucket: int) -> list[bool]:
        """Write the step's rows in place; returns which of the bucket's rows sample (`view` shows the rest)."""
        cols = columns(plan)
        seqs, starts, lens = cols.seqs, cols.starts, cols.lengths
        n = len(lens)
        if n > bucket or bucket > self.rows:
            raise ValueError(f"{n} rows do not fit a bucket of {bucket} (staging holds {self.rows})")
        if kv is not self.kv:  # another cache (another run): no row's blocks are known
            self.kv = kv
            self.holding[:] = -1
        if 0 in lens:  # a padded plan's finished rows: padding in place
            live = np.flatnonzero(lens)
            self._pad(0, max(self.dirty, n))
            seqs, starts = [seqs[i] for i in live], [starts[i] for i in live]
        else:
            live = slice(0, n)
            if self.dirty > n:
                self._pad(n, self.dirty)
        self.dirty = n
        longs = self.longs
        longs[0, live] = [q.token_ids[s] for q, s in zip(seqs, starts)]
        longs[1, live] = starts
        pos = longs[1, live]
        self.ctx[live] = pos + 1
        if kv.layout == "paged":
            rows = kv.rows_of(seqs)
            longs[2, live] = kv.slot_array(rows, pos)
            self._stage_blocks(live, kv, rows, pos // kv.block_size + 1)
        else:
            first, _ = kv.runs_of(seqs)
            longs[2, live] = first + pos
            self.bases[live] = first
        return cols.samples + [False] * (bucket - n)

    def view(self, bucket: int, samples: list[bool]) -> StagedDecode:
        """The last staged step's first `bucket` rows (views: valid until the next step)."""
        paged = self.kv is not None and self.kv.layout == "paged"
        return StagedDecode(bucket, self.longs[:, :bucket], self.ctx[:bucket], self.table[:bucket, : self.width]
                            if paged else None, None if paged else self.bases[:bucket], samples)

    def _stage_blocks(self, live, kv, rows: np.ndarray, blocks: np.ndarray) -> None:
        """Block-table rows of the live rows, zero past each one's `blocks`; rewritten only where changed."""
        holding = kv.holdings(rows)
        stale = (self.holding[live] != holding) | (self.blocks[live] != blocks)
        if not np.count_nonzero(stale):  # (faster than .any() on a few rows)
            return
        at = np.flatnonzero(stale)
        table = kv.table_array(rows[at], self.width)
        table[self.columns >= blocks[at, None]] = 0  # blocks held ahead of the context stay unseen
        self.table[at if isinstance(live, slice) else live[at]] = table
        self.holding[live] = holding
        self.blocks[live] = blocks

    def _pad(self, lo: int, hi: int) -> None:
        self.longs[:2, lo:hi] = 0
        self.longs[2, lo:hi] = -1
        self.ctx[lo:hi] = 1
        self.bases[lo:hi] = 0
        self.table[lo:hi] = 0
        self.holding[lo:hi] = -1
        self.blocks[lo:hi] = 0


def stage_decode(plan: StepPlan, kv: KVCache, bucket: int, width: int) -> StagedDecode:
    """The step staged from scratch into fresh arrays of `bucket` rows."""
    staging = DecodeStaging(bucket, width)
    return staging.view(bucket, staging.stage(plan, kv, bucket))
