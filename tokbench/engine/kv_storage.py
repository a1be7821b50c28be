"""The KV tensors themselves: one [slots, kv_heads, head_dim] pair per layer, allocated once per run."""

from __future__ import annotations

import torch

from tokbench.model.config import ModelConfig


class KVStorage:
    def __init__(self, cfg: ModelConfig, num_slots: int, dtype: torch.dtype, device: torch.device):
        shape = (num_slots, cfg.num_kv_heads, cfg.head_dim)
        self.num_slots = num_slots
        self.k = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.num_layers)]
        self.v = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.num_layers)]
        self.bytes_per_token = cfg.kv_bytes_per_token(torch.finfo(dtype).bits // 8)

    @property
    def nbytes(self) -> int:
        return self.num_slots * self.bytes_per_token
