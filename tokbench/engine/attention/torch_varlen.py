"""Attention on torch's own CUDA varlen kernel, `torch.nn.attention.varlen.varlen_attn` (FlashAttention 2).

- a step whose rows all start from nothing (fresh prefill) attends over its own k/v ribbon;
- otherwise keys are read in place from the cache: paged KV through block_table + seqused_k,
  contiguous KV with cu_seq_k[i] = the row's base slot and seqused_k[i] = its context (with
  seqused_k the kernel takes a row's keys from cu_seq_k[i] on, and only that many).
The call is built from the function's signature (see varlen_signature.py).
"""

from __future__ import annotations

from typing import Callable

import torch

from tokbench.engine.attention.kernel_backend import KernelBackend, RibbonAttention, paged_view
from tokbench.engine.attention.kernel_meta import KernelMeta
from tokbench.engine.attention.varlen_signature import VarlenSignature
from tokbench.engine.kv_storage import KVStorage


def cumulative(lengths: torch.Tensor) -> torch.Tensor:
    """int32 [n + 1]: 0, l0, l0 + l1, ..."""
    return torch.nn.functional.pad(lengths.cumsum(0, dtype=torch.int32), (1, 0))


def repeat_kv(x: torch.Tensor, hq: int) -> torch.Tensor:
    """[T, Hkv, D] -> [T, Hq, D]: query head h reads KV head h // (Hq / Hkv)."""
    return x.repeat_interleave(hq // x.shape[1], dim=1)


class TorchVarlenBackend(KernelBackend):
    name = "torch-varlen"

    def __init__(self, varlen_attn: Callable | None = None):
        if varlen_attn is None:
            from torch.nn.attention.varlen import varlen_attn
        self.varlen_attn = varlen_attn
        sig = VarlenSignature.of(varlen_attn)
        if sig is None:
            raise RuntimeError("torch's varlen_attn has an unknown signature")
        self.sig = sig

    def _call(self, q, k, v, cu_q, cu_k, max_q, max_k, **extra) -> torch.Tensor:
        kwargs = self.sig.causal_kwargs()
        if q.shape[1] != k.shape[-2]:
            if not self.sig.enable_gqa:
                raise RuntimeError(self.sig.why_not(gqa=True, paged=False))
            kwargs["enable_gqa"] = True
        return self.varlen_attn(q, k, v, cu_q, cu_k, max_q, max_k, **kwargs, **extra)

    def ribbon_attention(self, meta: KernelMeta, storage: KVStorage) -> RibbonAttention:
        if meta.fresh_prefill:
            def fresh(layer, q, k, v):
                if k.shape[1] != q.shape[1] and not self.sig.enable_gqa:
                    k, v = repeat_kv(k, q.shape[1]), repeat_kv(v, q.shape[1])
                return self._call(q, k, v, meta.cu_q, meta.cu_q, meta.max_q, meta.max_q)

            return fresh
        reason = self.sig.why_not(gqa=False, paged=meta.paged)  # GQA is checked per call, where Hq is known
        if reason:
            raise RuntimeError(reason)
        if meta.paged:
            cu_k = cumulative(meta.ctx_lens_t)
            extra = {"seqused_k": meta.ctx_lens_t, "block_table": meta.block_table}

            def cached(layer, q, k, v):
                bs = meta.block_size
                return self._call(q, paged_view(storage.k[layer], bs), paged_view(storage.v[layer], bs),
                                  meta.cu_q, cu_k, meta.max_q, meta.max_k, **extra)
        else:
            cu_k = torch.cat([meta.bases, meta.bases[-1:] + meta.ctx_lens_t[-1:]])  # row starts, not a cumsum
            extra = {"seqused_k": meta.ctx_lens_t}

            def cached(layer, q, k, v):
                return self._call(q, storage.k[layer], storage.v[layer], meta.cu_q, cu_k, meta.max_q, meta.max_k,
                                  **extra)

        return cached

