"""The KV tensors themselves: one K and one V tensor per layer, allocated once per run.

The attention backend picks the axis order: token-major [slots, kv_heads, head_dim] (what paged GPU
kernels read as [blocks, block_size, heads, dim]) or head-major [kv_heads, slots, head_dim] (each
head's keys contiguous, so CPU attention reads a sequence's context as a view). Head-major storage
keeps `read_slack` spare slots past the end so a context view padded to a longer neighbour's
length never runs off the tensor (the extra keys are masked out).
"""

from __future__ import annotations

import torch

from tokbench.model.config import ModelConfig


SLOT_ALIGN = 256


class KVStorage:
    def __init__(self, cfg: ModelConfig, num_slots: int, dtype: torch.dtype, device: torch.device,
                 head_major: bool = False, read_slack: int = 0):
        align = lambda n: -(-n // SLOT_ALIGN) * SLOT_ALIGN  # noqa: E731  (whole blocks for any block size dividing it)
        num_slots = align(num_slots)
        total = num_slots + align(read_slack)
        shape = (cfg.num_kv_heads, total, cfg.head_dim) if head_major else (total, cfg.num_kv_heads, cfg.head_dim)
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
