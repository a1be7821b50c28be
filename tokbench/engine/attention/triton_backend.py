"""Attention on tokbench's own Triton kernel: one kernel for every layout, paged or contiguous."""

from __future__ import annotations

from tokbench.engine.attention.kernel_backend import KernelBackend, RibbonAttention
from tokbench.engine.attention.kernel_meta import KernelMeta
from tokbench.engine.kv_storage import KVStorage


class TritonBackend(KernelBackend):
    name = "triton"

    def ribbon_attention(self, meta: KernelMeta, storage: KVStorage) -> RibbonAttention:
        from tokbench.engine.attention.triton_kernels import triton_attention  # imports triton

        def attend(layer, q, k, v):
            return triton_attention(meta, q, storage.k[layer], storage.v[layer])

        return attend
