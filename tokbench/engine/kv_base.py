"""The small interface both KV layouts share, so fragmentation is measured the same way for all."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

from tokbench.engine.sequence import Sequence

KVLayout = Literal["contiguous", "paged"]


class KVCache(ABC):
    """Bookkeeping over `capacity` token slots of one KVStorage; never touches tensors itself."""

    layout: KVLayout

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError("KV capacity must be at least one token slot")
        self.capacity = capacity
        self._holders: dict[int, Sequence] = {}

    def holds(self, seq: Sequence) -> bool:
        return seq.seq_id in self._holders

    @property
    def num_holders(self) -> int:
        return len(self._holders)

    def used_tokens(self) -> int:
        """Token slots that hold real KV right now."""
        return sum([s.num_computed for s in self._holders.values()])

    @abstractmethod
    def reserved_tokens(self) -> int:
        """Token slots set aside for sequences (used or not)."""

    @abstractmethod
    def free(self, seq: Sequence) -> None:
        """Give back everything `seq` holds; its KV is gone (it must be recomputed to continue)."""

    @abstractmethod
    def slots(self, seq: Sequence, start: int, end: int) -> list[int]:
        """Physical slot index of each position in [start, end) of `seq` (must be reserved)."""
