"""A Llama-family decoder (RMSNorm, RoPE, GQA, SwiGLU) over a flat list of tokens.

The model never sees batches or padding: every linear layer runs on [T, hidden] where T is all
tokens of the step, and attention is delegated to a callable the runner builds for that step's
layout. That is what lets every strategy share exactly the same model code.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn

from tokbench.model.config import ModelConfig
from tokbench.model.elementwise import TorchElementwise, select_elementwise
from tokbench.model.greedy_head import ScreenedGreedyHead, select_greedy_head
from tokbench.model.packed_linear import PackedLinear, pack_linears, unavailable_reason
from tokbench.model.rope import RotaryTable


class Attention(Protocol):
    def __call__(self, layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                 keep: torch.Tensor | None = None) -> torch.Tensor:
        """q: [T, Hq, D], k/v: [T, Hkv, D] for this step's tokens -> [T, Hq, D]; stores k/v.

        q, k and v are strided views of the fused projections (last dimension contiguous). keep:
        the only rows of the result the caller reads (the last layer's, see LlamaModel.forward);
        an implementation may leave the other rows unset. Every row's k/v is stored regardless."""


class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * xf.to(x.dtype)


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h = cfg.hidden_size
        self.cfg = cfg
        self.input_layernorm = RMSNorm(h, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(h, cfg.rms_norm_eps)
        # q, k and v as one matmul: one kernel launch instead of three.
        self.qkv_proj = nn.Linear(h, cfg.q_size + 2 * cfg.kv_size, bias=cfg.attention_bias)
        self.o_proj = nn.Linear(cfg.q_size, h, bias=False)
        self.gate_up_proj = nn.Linear(h, 2 * cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, h, bias=False)

    def forward(self, layer: int, x: torch.Tensor, delta: torch.Tensor | None, rotation, attention: Attention,
                ew: TorchElementwise, keep: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, delta) -> (x', delta'): the residual stream and the previous layer's MLP output, not yet
        added: the add is fused into this layer's first norm (and the last one into the final norm).

        keep: when given, only these rows leave the layer (x' and delta' have len(keep) rows): every
        row's K/V is still computed and stored, but the work after attention runs on the kept rows only."""
        cfg = self.cfg
        t = x.shape[0]
        x, h = ew.add_rms_norm(x, delta, self.input_layernorm)
        qkv = self.qkv_proj(h)
        # q and k sit side by side in qkv: rotate them as one tensor of heads (half the elementwise ops).
        qk = rotation.apply(qkv[:, : cfg.q_size + cfg.kv_size].view(t, cfg.num_heads + cfg.num_kv_heads, cfg.head_dim))
        q, k = qk.split([cfg.num_heads, cfg.num_kv_heads], dim=1)
        v = qkv[:, cfg.q_size + cfg.kv_size :].view(t, cfg.num_kv_heads, cfg.head_dim)
        if keep is None:
            attn = attention(layer, q, k, v).reshape(t, cfg.q_size)
        else:
            attn = attention(layer, q, k, v, keep).reshape(t, cfg.q_size).index_select(0, keep)
            x = x.index_select(0, keep)
        x, h = ew.add_rms_norm(x, self.o_proj(attn), self.post_attention_layernorm)
        return x, self.down_proj(ew.silu_mul(self.gate_up_proj(h)))


class LlamaModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.embed_tokens.weight
        self.rope: RotaryTable | None = None
        self.linear_path = "torch"  # how linear layers run, for the results (see prepare)
        self.elementwise = TorchElementwise()
        self.elementwise_path = "torch"  # how elementwise work runs, for the results (see prepare)
        self.greedy_head: ScreenedGreedyHead | None = None  # greedy tokens without the full head (see prepare)
        self.lm_head_path = "full"  # how greedy tokens are found, for the results

    def prepare(self, device: torch.device, dtype: torch.dtype) -> "LlamaModel":
        self.to(device=device, dtype=dtype).eval()
        self.rope = RotaryTable(self.cfg, device, dtype)
        why_not = unavailable_reason(device, dtype, self.weight_bytes)
        if why_not is None and not isinstance(self.lm_head, PackedLinear):
            pack_linears(self)
        self.linear_path = "onednn-prepacked" if why_not is None else f"torch: {why_not}"
        self.elementwise, self.elementwise_path = select_elementwise(device, dtype)
        self.greedy_head, self.lm_head_path = select_greedy_head(self.lm_head.weight, why_not is None, self.lm_head)
        return self

    def forward(self, input_ids: torch.Tensor, positions: torch.Tensor, attention: Attention,
                keep: torch.Tensor | None = None) -> torch.Tensor:
        """input_ids, positions: [T] -> final hidden states [T, hidden], or only the rows `keep` lists
        ([len(keep), hidden]). Rows that only feed the KV cache (a prompt's tokens before its last)
        need no last-layer o_proj, MLP or final norm: the last layer runs those on the kept rows
        alone (a long prefill step is mostly such rows)."""
        ew = self.elementwise
        x = self.embed_tokens(input_ids)
        rotation = ew.rotation(self.rope, positions)
        delta = None
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x, delta = layer(i, x, delta, rotation, attention, ew, keep if i == last else None)
        return ew.add_rms_norm(x, delta, self.norm)[1]

    def greedy(self, hidden: torch.Tensor) -> torch.Tensor:
        """The most likely next token of each row of `hidden` (long tensor on the model's device)."""
        tokens = self.greedy_head(hidden) if self.greedy_head is not None else None
        return tokens if tokens is not None else self.elementwise.argmax(self.logits(hidden))

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        if isinstance(self.lm_head, PackedLinear):
            return self.lm_head(hidden).float()
        # W @ h^T rather than h @ W^T: the same product, but for a few rows against a 100k-row
        # vocabulary CPU BLAS picks a far better kernel this way round (measured on 2 cores: 8 rows
        # x 32000 x 256 in 4 ms instead of 13 ms); on CUDA the two are equivalent. Made row-major
        # again because a reduction over the vocabulary (argmax) is 5x slower across a transpose.
        return (self.lm_head.weight @ hidden.t()).t().contiguous().float()

    @property
    def weight_bytes(self) -> int:
        seen, total = set(), 0
        for p in self.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                total += p.numel() * p.element_size()
        return total
