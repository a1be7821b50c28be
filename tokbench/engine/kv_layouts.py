"""The KV bookkeeping a strategy's layout asks for, over a budget of token slots (no tensors)."""

from __future__ import annotations

from tokbench.engine.kv_base import KVCache, KVLayout
from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.kv_paged import PagedKV


def new_kv_cache(layout: KVLayout, capacity: int, block_size: int) -> KVCache:
    return PagedKV(capacity, block_size) if layout == "paged" else ContiguousKV(capacity)
