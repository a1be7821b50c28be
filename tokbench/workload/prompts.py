"""Seeded prompt token ids of the recorded lengths, reproducing shared prefixes.

A token is a hash of (seed, what it belongs to, position), not a draw from a running generator, so
a request's tokens do not depend on which other requests were kept, and two requests that share a
prefix block get the same tokens for it without storing anything per block.
"""

from __future__ import annotations

import numpy as np

from tokbench.workload.table import LengthTable

RESERVED_LOW_IDS = 4  # keep clear of typical special tokens (pad/bos/eos/unk)
_SHARED_BLOCK, _OWN_TOKENS = np.uint64(1), np.uint64(2)
_CHUNK_TOKENS = 1 << 22  # bound the temporary arrays when a workload holds billions of tokens


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a cheap, well-spread hash of uint64 values (wraps on purpose)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _token_ids(seed: int, domain: np.ndarray, key: np.ndarray, position: np.ndarray, vocab_size: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + domain * np.uint64(0x9E3779B97F4A7C15))
        h = _mix(h ^ key.astype(np.uint64))
        h = _mix(h ^ position.astype(np.uint64))
    low = RESERVED_LOW_IDS if vocab_size > 2 * RESERVED_LOW_IDS else 0
    return (h % np.uint64(vocab_size - low)).astype(np.int64) + low


def _chunk_tokens(table: LengthTable, rows: np.ndarray, seed: int, vocab_size: int) -> np.ndarray:
    lengths = table.prompt_len[rows]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    request = np.repeat(np.arange(len(rows)), lengths)
    position = np.arange(lengths.sum()) - np.repeat(starts, lengths)
    domain = np.full(position.shape, _OWN_TOKENS)
    key = table.row_id[rows][request]
    in_block_position = position.copy()
    if table.has_blocks:
        block = position // table.block_tokens
        n_blocks = (table.block_offsets[rows + 1] - table.block_offsets[rows])[request]
        shared = block < n_blocks
        flat = table.block_offsets[rows][request][shared] + block[shared]
        domain[shared] = _SHARED_BLOCK
        key[shared] = table.block_ids[flat]
        in_block_position[shared] = position[shared] % table.block_tokens
    return _token_ids(seed, domain, key, in_block_position, vocab_size)


def prompt_token_ids(table: LengthTable, *, seed: int, vocab_size: int) -> list[tuple[int, ...]]:
    """One tuple of token ids per request, each id in [0, vocab_size)."""
    prompts: list[tuple[int, ...]] = []
    ends = np.cumsum(table.prompt_len)
    first = 0
    while first < len(table):
        # Requests whose tokens fit in one chunk (at least one request per chunk).
        last = max(first + 1, int(np.searchsorted(ends, (ends[first - 1] if first else 0) + _CHUNK_TOKENS)))
        rows = np.arange(first, last)
        flat = _chunk_tokens(table, rows, seed, vocab_size).tolist()
        offset = 0
        for length in table.prompt_len[rows].tolist():
            prompts.append(tuple(flat[offset : offset + length]))
            offset += length
        first = last
    return prompts
