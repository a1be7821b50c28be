"""Prefix reuse from block hash ids (Mooncake hash_ids, or synthetic shared prefixes): the share
of prompt blocks and tokens already seen in an earlier request, i.e. what a prefix cache with
unbounded capacity could skip."""

from __future__ import annotations

import numpy as np

from tokbench.workload.table import LengthTable


def prefix_reuse(table: LengthTable) -> dict | None:
    if not table.has_blocks or table.block_ids.size == 0:
        return None
    counts = np.diff(table.block_offsets)
    owner = np.repeat(np.arange(len(table)), counts)
    position = np.arange(table.block_ids.size) - np.repeat(table.block_offsets[:-1], counts)
    # Only blocks inside the (possibly clipped) prompt are served; each covers a full block or
    # what is left of the prompt.
    served = table.prompt_len[owner] > position * table.block_tokens
    if not served.any():
        return None
    owner, position, ids = owner[served], position[served], table.block_ids[served]
    tokens = np.minimum(table.prompt_len[owner] - position * table.block_tokens, table.block_tokens)
    _, first = np.unique(ids, return_index=True)
    repeated = np.ones(ids.size, dtype=bool)
    repeated[first] = False
    reused_tokens = int(tokens[repeated].sum())
    return {
        "block_tokens": table.block_tokens,
        "blocks": int(ids.size),
        "unique_blocks": int(first.size),
        "reused_block_fraction": float(repeated.mean()),
        "reused_token_fraction": float(reused_tokens / table.prompt_len.sum()),
        "requests_with_reuse_fraction": float(np.bincount(owner[repeated], minlength=len(table)).astype(bool).mean()),
    }
