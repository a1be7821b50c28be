"""Attention on the flash-attn package (FlashAttention 2, >= 2.6: block_table in varlen, cache_leftpad).

- fresh prefill (every row starts from nothing): flash_attn_varlen_func over this step's own k/v;
- paged KV: decode-only steps through flash_attn_with_kvcache (block_table, cache_seqlens; its
  split-KV path suits small batches), other steps through flash_attn_varlen_func with block_table;
  flash-attn 2 only pages with blocks that are a multiple of 256 tokens (the probe checks);
- contiguous KV: flash_attn_with_kvcache over the whole token-major storage seen as one cache
  row (cache_batch_idx 0 for every row), each row's keys being slots [cache_leftpad, cache_seqlens)
  = [base, base + ctx). Decode rows go in one call; a chunk over a cached prefix (no built-in
  strategy makes one on contiguous KV) in one call per chunk, as the call takes equal q lengths.
"""

from __future__ import annotations

import torch

from tokbench.engine.attention.kernel_backend import KernelBackend, RibbonAttention, paged_view
from tokbench.engine.attention.kernel_meta import KernelMeta
from tokbench.engine.attention.torch_varlen import cumulative
from tokbench.engine.kv_storage import KVStorage

PAGE_MULTIPLE = 256  # flash-attn 2: "Paged KV cache block size must be divisible by 256"


class FlashAttnBackend(KernelBackend):
    name = "flash-attn"

    def __init__(self, lib=None):
        if lib is None:
            import flash_attn as lib
        self.varlen = lib.flash_attn_varlen_func
        self.kvcache = lib.flash_attn_with_kvcache

    def ribbon_attention(self, meta: KernelMeta, storage: KVStorage) -> RibbonAttention:
        if meta.fresh_prefill:
            return lambda layer, q, k, v: self.varlen(q, k, v, meta.cu_q, meta.cu_q, meta.max_q, meta.max_q,
                                                      causal=True)
        if meta.paged:
            return self._paged(meta, storage)
        return self._contiguous(meta, storage)

    def _paged(self, meta: KernelMeta, storage: KVStorage) -> RibbonAttention:
        bs = meta.block_size
        if bs % PAGE_MULTIPLE:
            raise RuntimeError(f"flash-attn pages only with blocks of a multiple of {PAGE_MULTIPLE} tokens (got {bs})")
        if meta.decode_only:
            def decode(layer, q, k, v):
                out = self.kvcache(q.unsqueeze(1), paged_view(storage.k[layer], bs), paged_view(storage.v[layer], bs),
                                   cache_seqlens=meta.ctx_lens_t, block_table=meta.block_table, causal=True)
                return out.squeeze(1)

            return decode
        cu_k = cumulative(meta.ctx_lens_t)

        def mixed(layer, q, k, v):
            return self.varlen(q, paged_view(storage.k[layer], bs), paged_view(storage.v[layer], bs), meta.cu_q, cu_k,
                               meta.max_q, meta.max_k, causal=True, block_table=meta.block_table)

        return mixed

    def _contiguous(self, meta: KernelMeta, storage: KVStorage) -> RibbonAttention:
        ends = meta.bases + meta.ctx_lens_t
        batch0 = torch.zeros_like(meta.bases)

        def rows(layer, q, lo, hi, r0, r1, q_len):
            """Rows r0..r1 (all with q_len queries) whose queries are q[lo:hi]."""
            out = self.kvcache(q[lo:hi].view(r1 - r0, q_len, *q.shape[1:]), storage.k[layer].unsqueeze(0),
                               storage.v[layer].unsqueeze(0), cache_seqlens=ends[r0:r1],
                               cache_batch_idx=batch0[r0:r1], cache_leftpad=meta.bases[r0:r1], causal=True)
            return out.view(hi - lo, *q.shape[1:])

        if meta.decode_only:
            return lambda layer, q, k, v: rows(layer, q, 0, q.shape[0], 0, meta.num_rows, 1)

        cu = meta.cu_q.tolist()  # host copy once per step, not per layer (never under a CUDA graph: decodes only)

        def per_row(layer, q, k, v):
            out = torch.empty_like(q)
            for r, n in enumerate(meta.q_lens):
                out[cu[r] : cu[r + 1]] = rows(layer, q, cu[r], cu[r + 1], r, r + 1, n)
            return out

        return per_row
