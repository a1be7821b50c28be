"""Paged KV: a pool of fixed-size blocks, a free list, and a block table per sequence (vLLM-style).

Blocks are taken only when a sequence's tokens reach them, so at most block_size - 1 slots per
sequence sit reserved but empty.

Besides the per-sequence lists that strategies read (`block_tables`), every holder keeps a row of
one persistent array (`table_array`), written only where a block is added: the runner takes a
step's block tables and KV slots from it with a few vector operations instead of a Python loop
over every running sequence.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence as Seq

import numpy as np

from tokbench.engine.kv_base import PagedKVCache
from tokbench.engine.sequence import Sequence


class PagedKV(PagedKVCache):

    def __init__(self, capacity: int, block_size: int = 16):
        if block_size < 1:
            raise ValueError("block_size must be positive")
        super().__init__(capacity)
        self.block_size = block_size
        self.num_blocks = capacity // block_size
        if self.num_blocks < 1:
            raise ValueError(f"KV capacity {capacity} holds no block of {block_size} tokens")
        self._free_blocks: deque[int] = deque(range(self.num_blocks))
        self.block_tables: dict[int, list[int]] = {}
        # Row r of _table holds the blocks of the sequence on row r (zeros past them); grown on demand.
        self._table = np.zeros((8, 8), dtype=np.int64)
        self._held = np.zeros(8, dtype=np.int64)  # blocks held per row
        # Which holding each row serves: a number new to every sequence that takes a row, so that a
        # copy of a row's blocks (CUDA-graph staging) can tell it is still the same sequence's.
        self._holding = np.zeros(8, dtype=np.int64)
        self._holdings = 0
        self._row: dict[int, int] = {}
        self._free_rows: list[int] = list(range(7, -1, -1))  # popped from the end: row 0 first

    @property
    def num_free_blocks(self) -> int:
        return len(self._free_blocks)

    def reserved_tokens(self) -> int:
        return (self.num_blocks - len(self._free_blocks)) * self.block_size

    def blocks_needed(self, seq: Sequence, num_tokens: int) -> int:
        table = self.block_tables.get(seq.seq_id)
        return max(0, -(-num_tokens // self.block_size) - (len(table) if table else 0))

    def allocate(self, seq: Sequence, num_tokens: int) -> bool:
        table = self.block_tables.get(seq.seq_id)
        have = len(table) if table is not None else 0
        need = -(-num_tokens // self.block_size) - have
        if table is not None and need <= 0:  # the common case: a decode step inside its last block
            return True
        if need > len(self._free_blocks):
            return False
        if table is None:
            table = self.block_tables[seq.seq_id] = []
            self._holders[seq.seq_id] = seq
            self._row[seq.seq_id] = row = self._take_row()
            self._holdings += 1
            self._holding[row] = self._holdings
        if need > 0:
            new = [self._free_blocks.popleft() for _ in range(need)]
            table.extend(new)
            row = self._row[seq.seq_id]
            if have + need > self._table.shape[1]:
                self._grow(columns=have + need)
            self._table[row, have : have + need] = new
            self._held[row] = have + need
        return True

    def free(self, seq: Sequence) -> None:
        table = self.block_tables.pop(seq.seq_id)
        del self._holders[seq.seq_id]
        row = self._row.pop(seq.seq_id)
        self._table[row, : len(table)] = 0
        self._held[row] = 0
        self._free_rows.append(row)
        # Most recently freed first: a joiner reuses blocks that are still warm in cache.
        self._free_blocks.extendleft(reversed(table))

    def slots(self, seq: Sequence, start: int, end: int) -> list[int]:
        table, bs = self.block_tables[seq.seq_id], self.block_size
        if end > len(table) * bs:
            raise IndexError(f"sequence {seq.seq_id} needs {end} slots but holds {len(table) * bs}")
        return [table[p // bs] * bs + p % bs for p in range(start, end)]

    def rows_of(self, seqs: Seq[Sequence]) -> np.ndarray:
        """Each sequence's row of the persistent table (they must hold KV)."""
        row = self._row
        return np.array([row[s.seq_id] for s in seqs], dtype=np.int64)

    def table_array(self, rows: np.ndarray, width: int) -> np.ndarray:
        """[len(rows), width] block ids of those rows, zero past each sequence's blocks (a copy)."""
        if width > self._table.shape[1]:
            self._grow(columns=width)
        return self._table[rows, :width]

    def holdings(self, rows: np.ndarray) -> np.ndarray:
        """Which holding each row serves now: equal numbers on a row mean its first blocks are unchanged
        (blocks are only appended while a sequence holds them; a new holder gets a new number)."""
        return self._holding[rows]

    def slot_array(self, rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Cache slot of token positions[i] of the sequence on rows[i] (IndexError past its blocks)."""
        bs = self.block_size
        blocks = positions // bs
        past = blocks >= self._held[rows]
        if np.count_nonzero(past):  # (faster than .any() on a few rows)
            i = int(np.argmax(past))
            raise IndexError(f"position {int(positions[i])} is past the {int(self._held[rows[i]])} blocks "
                             f"of the sequence on row {int(rows[i])}")
        return self._table[rows, blocks] * bs + positions % bs

    def _take_row(self) -> int:
        if not self._free_rows:
            old = self._table.shape[0]
            self._grow(rows=2 * old)
            self._free_rows.extend(range(2 * old - 1, old - 1, -1))
        return self._free_rows.pop()

    def _grow(self, rows: int = 0, columns: int = 0) -> None:
        r, c = self._table.shape
        rows, columns = max(r, rows), max(c, 2 * c if columns > c else c, columns)
        table = np.zeros((rows, columns), dtype=np.int64)
        table[:r, :c] = self._table
        self._table = table
        for name in ("_held", "_holding"):
            grown = np.zeros(rows, dtype=np.int64)
            grown[:r] = getattr(self, name)
            setattr(self, name, grown)
