"""Paged KV: a pool of fixed-size blocks, a free list, and a block table per sequence (vLLM-style).

Blocks are taken only when a sequence's tokens reach them, so at most block_size - 1 slots per
sequence sit reserved but empty.
"""

from __future__ import annotations

from collections import deque

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

    @property
    def num_free_blocks(self) -> int:
        return len(self._free_blocks)

    def reserved_tokens(self) -> int:
        return (self.num_blocks - len(self._free_blocks)) * self.block_size

    def blocks_needed(self, seq: Sequence, num_tokens: int) -> int:
        have = len(self.block_tables.get(seq.seq_id, ()))
        return max(0, self.blocks_for(num_tokens) - have)

    def allocate(self, seq: Sequence, num_tokens: int) -> bool:
        need = self.blocks_needed(seq, num_tokens)
        if need > len(self._free_blocks):
            return False
        table = self.block_tables.setdefault(seq.seq_id, [])
        self._holders[seq.seq_id] = seq
        for _ in range(need):
            table.append(self._free_blocks.popleft())
        return True

    def free(self, seq: Sequence) -> None:
        table = self.block_tables.pop(seq.seq_id)
        del self._holders[seq.seq_id]
        # Most recently freed first: a joiner reuses blocks that are still warm in cache.
        self._free_blocks.extendleft(reversed(table))

    def slots(self, seq: Sequence, start: int, end: int) -> list[int]:
        table, bs = self.block_tables[seq.seq_id], self.block_size
        if end > len(table) * bs:
            raise IndexError(f"sequence {seq.seq_id} needs {end} slots but holds {len(table) * bs}")
        return [table[p // bs] * bs + p % bs for p in range(start, end)]
