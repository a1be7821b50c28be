"""The KV tensors themselves: one K and one V tensor per layer, allocated once per run.

The attention backend picks the axis order: token-major [slots, kv_heads, head_dim] (what paged GPU
kernels read as [blocks, block_size, heads, dim]) or head-major [kv_heads, slots, head_dim] (each
head's keys contiguous, so CPU attention reads a sequence's context as a view).
"""

from __future__ import annotations

import torch

from tokbench.model.config import ModelConfig


SLOT_ALIGN = 256


class KVStorage:
    def __init__(self, cfg: ModelConfig, num_slots: int, dtype: torch.dtype, device: torch.device,
                 head_major: bool = False):
        num_slots = -(-num_slots // SLOT_ALIGN) * SLOT_ALIGN  # whole blocks for any block size dividing it
        shape = (cfg.num_kv_heads, num_slots, cfg.head_dim) if head_major else (num_slots, cfg.num_kv_heads, cfg.head_dim)
        self.num_slots = num_slots
        self.head_major = head_major
        self.k = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.num_layers)]
        self.v = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.num_layers)]
        self.bytes_per_token = cfg.kv_bytes_per_token(torch.finfo(dtype).bits // 8)

    @property
    def nbytes(self) -> int:
        return self.num_slots * self.bytes_per_token

    def store(self, layer: int, slots: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
        """Write k/v [tokens, kv_heads, head_dim] into `slots`."""
        if self.head_major:
            self.k[layer].index_copy_(1, slots, k.transpose(0, 1))
            self.v[layer].index_copy_(1, slots, v.transpose(0, 1))
        else:
            self.k[layer].index_copy_(0, slots, k)
            self.v[layer].index_copy_(0, slots, v)
