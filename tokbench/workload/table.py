"""Requests as columns (lengths, arrivals, prefix blocks): what loaders produce and profile reads.

Token ids are only made at the very end (see prompts.py), so a 10M-row trace stays a few arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

MOONCAKE_BLOCK_TOKENS = 512


@dataclass
class LengthTable:
    prompt_len: np.ndarray  # int64, >= 1
    output_len: np.ndarray  # int64, >= 1
    arrival_s: np.ndarray | None = None  # float64 seconds, non-decreasing; None = no timestamps
    # Prompt prefix blocks in CSR form: request i's block ids are
    # block_ids[block_offsets[i]:block_offsets[i+1]]; equal id at the same position = same tokens.
    block_ids: np.ndarray | None = None
    block_offsets: np.ndarray | None = None
    block_tokens: int = MOONCAKE_BLOCK_TOKENS
    # Stable row identity (the row's index in the file): keeps a request's tokens the same
    # whatever sampling or windowing removed around it.
    row_id: np.ndarray | None = None
    source: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.row_id is None:
            self.row_id = np.arange(len(self.prompt_len), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.prompt_len)

    @property
    def has_blocks(self) -> bool:
        return self.block_ids is not None

    def take(self, index: np.ndarray) -> "LengthTable":
        """Rows at `index` (a boolean mask or positions), keeping everything aligned."""
        index = np.flatnonzero(index) if index.dtype == bool else np.asarray(index, dtype=np.int64)
        block_ids, block_offsets = None, None
        if self.has_blocks:
            starts, ends = self.block_offsets[index], self.block_offsets[index + 1]
            counts = ends - starts
            block_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            # Position of every kept block in the old flat array, without a Python loop.
            flat = np.repeat(starts - block_offsets[:-1], counts) + np.arange(block_offsets[-1])
            block_ids = self.block_ids[flat]
        return replace(
            self,
            prompt_len=self.prompt_len[index],
            output_len=self.output_len[index],
            arrival_s=None if self.arrival_s is None else self.arrival_s[index],
            block_ids=block_ids,
            block_offsets=block_offsets,
            row_id=self.row_id[index],
            source=dict(self.source),
        )
