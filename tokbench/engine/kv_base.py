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


class ContiguousKVCache(KVCache):
    """What strategies on contiguous KV may call: one run of slots per sequence, sized up front."""

    layout = "contiguous"

    @abstractmethod
    def reserve(self, seq: Sequence, length: int) -> bool:
        """Reserve `length` slots for `seq`; False (and nothing changes) if no run is long enough."""

    @abstractmethod
    def reserve_group(self, seqs: list[Sequence], length: int) -> bool:
        """Reserve equal runs for `seqs` side by side (a padded batch sees one [B, length] block)."""

    @abstractmethod
    def can_reserve(self, length: int) -> bool:
        """Whether a run of `length` free slots exists now."""

    @abstractmethod
    def base(self, seq: Sequence) -> int:
        """First slot of `seq`'s run."""


class PagedKVCache(KVCache):
    """What strategies on paged KV may call: blocks taken on demand, a block table per sequence."""

    layout = "paged"
    block_size: int
    num_blocks: int
    block_tables: dict[int, list[int]]

    @property
    @abstractmethod
    def num_free_blocks(self) -> int:
        """Blocks in the free pool now."""

    def blocks_for(self, num_tokens: int) -> int:
        """Blocks that hold `num_tokens` tokens."""
        return -(-num_tokens // self.block_size)

    @abstractmethod
    def blocks_needed(self, seq: Sequence, num_tokens: int) -> int:
        """New blocks `seq` needs to hold its first `num_tokens` tokens."""

    @abstractmethod
    def allocate(self, seq: Sequence, num_tokens: int) -> bool:
        """Make room for `seq`'s first `num_tokens` tokens; False (nothing changes) if blocks run out."""
