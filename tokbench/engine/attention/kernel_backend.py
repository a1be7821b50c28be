"""What the token-major kernel backends (Triton, flash-attn, torch varlen) share.

Each one only says how to attend a ribbon of real queries over one layer's KV, given the step's
KernelMeta; storing K/V and dropping a padded plan's padding rows happen here, the same for all.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Callable

import torch

from tokbench.engine.attention.base import AttentionBackend, LayerAttention
from tokbench.engine.attention.kernel_meta import KernelMeta, build_kernel_meta
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.step_inputs import StepInputs

# attend(layer, q, k, v) over real tokens only: q [T, Hq, D], k/v [T, Hkv, D] this step's (already stored)
RibbonAttention = Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def paged_view(cache: torch.Tensor, block_size: int) -> torch.Tensor:
    """Token-major [slots, Hkv, D] as the block pool [blocks, block_size, Hkv, D] paged kernels read."""
    slots, hkv, d = cache.shape
    whole = slots // block_size * block_size
    return cache[:whole].view(-1, block_size, hkv, d)


class KernelBackend(AttentionBackend):
    head_major_kv = False

    @abstractmethod
    def ribbon_attention(self, meta: KernelMeta, storage: KVStorage) -> RibbonAttention:
        """The per-layer attention over the real-query ribbon for one step.

        It may launch device work to derive metadata; for decode-only metas it must not read a
        device value on the host: a CUDA graph captures it (see engine/cuda_graphs.py)."""

    def dense_ribbon_attention(self, meta: KernelMeta, storage: KVStorage) -> RibbonAttention:
        """ribbon_attention fed a dense q: the model hands q over as a strided view of its fused
        q|k tensor, and the kernels want it contiguous. Every caller goes through here."""
        attend = self.ribbon_attention(meta, storage)
        return lambda layer, q, k, v: attend(layer, q.contiguous(), k, v)

    def bind(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        if storage.head_major:
            raise ValueError(f"the {self.name} backend reads token-major KV storage")
        meta = build_kernel_meta(inputs)
        attend = self.dense_ribbon_attention(meta, storage)
        real = meta.real_index
        slots = inputs.slot_mapping

        def attention(layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, keep=None) -> torch.Tensor:
            if real is None:
                storage.store(layer, slots, k, v)
                return attend(layer, q, k, v)
            qr, kr, vr = (x.index_select(0, real) for x in (q, k, v))
            storage.store(layer, slots, kr, vr)
            out = torch.zeros_like(q)  # padding queries get zeros: finite, and never sampled
            return out.index_copy_(0, real, attend(layer, qr, kr, vr))

        return attention
