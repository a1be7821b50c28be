"""Seeded random weights (like vLLM's dummy weights): throughput does not depend on their values.

Scales are chosen so that activations stay O(1) and the logits are peaked: greedy argmax then has
clear winners, so token-identity checks across strategies test the engine, not float noise.
"""

from __future__ import annotations

import math

import torch

from tokbench.model.llama import LlamaModel


@torch.no_grad()
def init_random_weights(model: LlamaModel, seed: int) -> None:
    gen = torch.Generator(device=model.embed_tokens.weight.device).manual_seed(seed)
    h = model.cfg.hidden_size
    for name, param in model.named_parameters():
        if name.endswith("layernorm.weight") or name == "norm.weight":
            param.fill_(1.0)
        elif name.endswith("bias"):
            param.normal_(0.0, 0.02, generator=gen)
        elif name in ("embed_tokens.weight", "lm_head.weight"):
            param.normal_(0.0, 4.0 / math.sqrt(h), generator=gen)
        else:
            fan_in = param.shape[1]
            param.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=gen)
