"""The plain reference: one request at a time, its own dense KV, no scheduler, no paging.

Every strategy must reproduce these tokens exactly (greedy, fp32).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tokbench.model import LoadedModel
from tokbench.workload.types import Request


class _DenseKV:
    def __init__(self) -> None:
        self.k: dict[int, torch.Tensor] = {}
        self.v: dict[int, torch.Tensor] = {}

    def __call__(self, layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        if layer in self.k:
            k = torch.cat([self.k[layer], k])
            v = torch.cat([self.v[layer], v])
        self.k[layer], self.v[layer] = k, v
        causal = q.shape[0] > 1  # prefill: square causal; decode: one query sees everything
        out = F.scaled_dot_product_attention(q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1),
                                             is_causal=causal, enable_gqa=True)
        return out.transpose(0, 1)


@torch.inference_mode()
def reference_tokens(loaded: LoadedModel, request: Request) -> list[int]:
    model, device = loaded.model, loaded.device
    cache = _DenseKV()
    ids = torch.tensor(request.prompt_token_ids, dtype=torch.long, device=device)
    pos = torch.arange(len(ids), device=device)
    out: list[int] = []
    while len(out) < request.max_tokens:
        hidden = model(ids, pos, cache)
        token = int(model.logits(hidden[-1:]).argmax(dim=-1))
        out.append(token)
        next_pos = int(pos[-1]) + 1
        ids = torch.tensor([token], dtype=torch.long, device=device)
        pos = torch.tensor([next_pos], device=device)
    return out
