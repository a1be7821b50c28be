"""Contiguous per-sequence reservation: what static and Orca-style batching do.

Each sequence gets one run of slots sized up front (a guess at its final length), found first-fit
in a sorted list of free runs; freeing merges neighbours so the pool never leaks.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence as Seq
from itertools import chain

import numpy as np

from tokbench.engine.kv_base import ContiguousKVCache
from tokbench.engine.sequence import Sequence


class ContiguousKV(ContiguousKVCache):

    def __init__(self, capacity: int):
        super().__init__(capacity)
        self._free: list[tuple[int, int]] = [(0, capacity)]  # (start, length), sorted by start
        self._runs: dict[int, tuple[int, int]] = {}  # seq_id -> (base, length)
        self._reserved = 0  # sum of the runs' lengths (read every step)

    def reserved_tokens(self) -> int:
        return self._reserved

    def free_tokens(self) -> int:
        return sum(length for _, length in self._free)

    def largest_free_run(self) -> int:
        return max((length for _, length in self._free), default=0)

    def can_reserve(self, length: int) -> bool:
        return self.largest_free_run() >= length

    def reserve(self, seq: Sequence, length: int) -> bool:
        base = self._take(length)
        if base is None:
            return False
        self._add(seq, base, length)
        return True

    def reserve_group(self, seqs: list[Sequence], length: int) -> bool:
        base = self._take(length * len(seqs))
        if base is None:
            return False
        for i, seq in enumerate(seqs):
            self._add(seq, base + i * length, length)
        return True

    def base(self, seq: Sequence) -> int:
        return self._runs[seq.seq_id][0]

    def reservation(self, seq: Sequence) -> int:
        return self._runs[seq.seq_id][1]

    def runs_of(self, seqs: Seq[Sequence]) -> tuple[np.ndarray, np.ndarray]:
        """(first slot, reserved length) of each sequence's run, as arrays (for a step's slots at once)."""
        runs = self._runs
        both = np.fromiter(chain.from_iterable([runs[s.seq_id] for s in seqs]), dtype=np.int64, count=2 * len(seqs))
        return both[0::2], both[1::2]

    def slots(self, seq: Sequence, start: int, end: int) -> list[int]:
        base, length = self._runs[seq.seq_id]
        if end > length:
            raise IndexError(f"sequence {seq.seq_id} needs {end} slots but reserved {length}")
        return list(range(base + start, base + end))

    def free(self, seq: Sequence) -> None:
        base, length = self._runs.pop(seq.seq_id)
        self._reserved -= length
        del self._holders[seq.seq_id]
        i = bisect.bisect(self._free, (base, length))
        self._free.insert(i, (base, length))
        self._merge_around(i)

    def _add(self, seq: Sequence, base: int, length: int) -> None:
        if seq.seq_id in self._runs:
            raise ValueError(f"sequence {seq.seq_id} already holds a reservation")
        self._runs[seq.seq_id] = (base, length)
        self._reserved += length
        self._holders[seq.seq_id] = seq

    def _take(self, length: int) -> int | None:
        if length < 1:
            raise ValueError("a reservation needs at least one slot")
        for i, (start, run) in enumerate(self._free):
            if run >= length:
                if run == length:
                    del self._free[i]
                else:
                    self._free[i] = (start + length, run - length)
                return start
        return None

    def _merge_around(self, i: int) -> None:
        if i + 1 < len(self._free):
            (s, n), (s2, n2) = self._free[i], self._free[i + 1]
            if s + n == s2:
                self._free[i : i + 2] = [(s, n + n2)]
        if i > 0:
            (s0, n0), (s, n) = self._free[i - 1], self._free[i]
            if s0 + n0 == s:
                self._free[i - 1 : i + 1] = [(s0, n0 + n)]
