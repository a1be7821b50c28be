"""Attention on torch's scaled_dot_product_attention: the reference path, used on CPU.

- padded plans read their batch's contiguous KV as one [B, S] view with a causal + length mask;
- packed plans attend per sequence over a view (contiguous KV) or over blocks gathered once per
  layer (paged KV), with a bottom-right-aligned causal mask when a chunk continues a prefix.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.attention.bias import causal_lower_right

from tokbench.engine.attention.base import AttentionBackend, LayerAttention, store_kv
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.step_inputs import StepInputs


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """q: [n, Hq, D], k/v: [ctx, Hkv, D] of one sequence whose last n keys are the queries'."""
    n, ctx = q.shape[0], k.shape[0]
    qh, kh, vh = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
    if n == 1:
        out = F.scaled_dot_product_attention(qh, kh, vh, enable_gqa=True)
    elif n == ctx:
        out = F.scaled_dot_product_attention(qh, kh, vh, is_causal=True, enable_gqa=True)
    else:
        out = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=causal_lower_right(n, ctx), enable_gqa=True)
    return out.transpose(0, 1)


class SDPABackend(AttentionBackend):
    name = "torch-sdpa"

    def bind(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        if inputs.layout == "padded":
            return self._padded(inputs, storage)
        return self._packed(inputs, storage)

    def _packed(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        q_lens, ctx_lens = inputs.q_lens, inputs.ctx_lens
        cu_q = [0]
        for n in q_lens:
            cu_q.append(cu_q[-1] + n)
        if inputs.block_tables is not None:
            bs = inputs.kv.block_size
            block_ids = torch.tensor([b for t in inputs.block_tables for b in t], dtype=torch.long,
                                     device=inputs.input_ids.device)
            starts = [0]
            for t in inputs.block_tables:
                starts.append(starts[-1] + len(t) * bs)
        bases = inputs.bases

        def attention(layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            store_kv(inputs, storage, layer, k, v)
            kc, vc = storage.k[layer], storage.v[layer]
            if bases is None:  # gather every block this step reads, once per layer
                whole = kc.shape[0] // bs * bs  # a pool not a multiple of block_size has a dead tail
                h, d = kc.shape[1:]
                kc = kc[:whole].view(-1, bs, h, d).index_select(0, block_ids).view(-1, h, d)
                vc = vc[:whole].view(-1, bs, h, d).index_select(0, block_ids).view(-1, h, d)
                row_base = starts
            else:
                row_base = bases
            outs = [
                _attend(q[cu_q[i] : cu_q[i + 1]], kc[b : b + c], vc[b : b + c])
                for i, (b, c) in enumerate(zip(row_base, ctx_lens))
            ]
            return torch.cat(outs) if len(outs) > 1 else outs[0]

        return attention

    def _padded(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        bases, rows, length = inputs.bases, len(inputs.q_lens), inputs.padded_len
        if bases is None:
            raise ValueError("padded plans need contiguous KV")
        stride = bases[1] - bases[0] if rows > 1 else 0
        if any(bases[i] != bases[0] + i * stride for i in range(rows)) or (rows > 1 and stride < 1):
            raise ValueError("a padded batch must hold its rows' KV side by side (reserve_group)")
        device = inputs.input_ids.device
        starts = torch.tensor([c - n for c, n in zip(inputs.ctx_lens, inputs.q_lens)], device=device)
        q_lens = torch.tensor(inputs.q_lens, device=device)
        span = max(inputs.ctx_lens) if rows else 0
        span = max(span, 1)
        j = torch.arange(length, device=device)
        # A real query sees keys up to its own position; a padding query sees key 0 only (no NaNs).
        last_key = torch.where(j[None, :] < q_lens[:, None], starts[:, None] + j[None, :], 0)
        mask = torch.arange(span, device=device)[None, None, :] <= last_key[:, :, None]  # [B, L, S]
        mask = mask[:, None]
        row_stride = stride if rows > 1 else span

        def attention(layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            store_kv(inputs, storage, layer, k, v)
            h, d = storage.k[layer].shape[1:]
            base = bases[0]
            kc = storage.k[layer][base : base + rows * row_stride].view(rows, row_stride, h, d)[:, :span]
            vc = storage.v[layer][base : base + rows * row_stride].view(rows, row_stride, h, d)[:, :span]
            qh = q.view(rows, length, q.shape[1], d).transpose(1, 2)
            out = F.scaled_dot_product_attention(qh, kc.transpose(1, 2), vc.transpose(1, 2), attn_mask=mask,
                                                 enable_gqa=True)
            return out.transpose(1, 2).reshape(rows * length, q.shape[1], d)

        return attention
