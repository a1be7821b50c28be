"""Attention of a step's decode rows (one query each) over their cached contexts, on head-major KV.

Two ways, same result within float rounding: the native kernel reads every row's context in
place (native_decode.py, fp32 on CPU); otherwise rows attend with SDPA in groups of similar
context length over copies of their contexts (context.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tokbench.engine.attention.context import context_groups, padded_block_tables
from tokbench.engine.attention.native_decode import decode_attention


class DecodeRows:
    """block_tables: [rows, width] block ids (a tensor, zero past each row's blocks, as StepInputs
    carries them) or one list per row; bases: each row's first slot (contiguous KV)."""

    def __init__(self, ctx_lens: list[int], *, block_tables: torch.Tensor | list[list[int]] | None,
                 bases: list[int] | None, block_size: int, device: torch.device, kernel=None):
        self.block_size = block_size
        self.kernel = kernel
        table = None
        if block_tables is not None:
            width = -(-max(ctx_lens) // block_size)
            if isinstance(block_tables, torch.Tensor):
                table = block_tables[:, :width].contiguous()  # a view when it is already that wide
            else:
                table = padded_block_tables(block_tables, width)
        if kernel is not None:
            self.ctx = torch.tensor(ctx_lens, dtype=torch.long)
            self.table = table
            self.bases = None if table is not None else torch.tensor(bases, dtype=torch.long)
        self._ctx_lens, self._table, self._bases, self._device = ctx_lens, table, bases, device
        self._groups = None

    def __call__(self, q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
        """q: [rows, Hq, D] -> [rows, Hq, D]."""
        if self.kernel is not None:
            out = decode_attention(self.kernel, q.contiguous(), k_cache, v_cache, self.ctx, table=self.table,
                                   bases=self.bases, block_size=self.block_size)
            if out is not None:
                return out
        return self._grouped(q, k_cache, v_cache)

    def _grouped(self, q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor) -> torch.Tensor:
        if self._groups is None:
            self._groups = context_groups(self._ctx_lens, table=self._table, bases=self._bases,
                                          block_size=self.block_size, device=self._device)
        rows, hq, d = q.shape
        hkv = k_cache.shape[0]
        qd = q.view(rows, hkv, hq // hkv, d)  # query heads folded under their KV head: no KV copies for GQA
        out = torch.empty_like(qd)
        for g in self._groups:
            og = F.scaled_dot_product_attention(qd.index_select(0, g.rows), g.read(k_cache, self.block_size),
                                                g.read(v_cache, self.block_size), attn_mask=g.mask)
            out.index_copy_(0, g.rows, og)
        return out.view(rows, hq, d)
