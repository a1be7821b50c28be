"""Attention on torch's scaled_dot_product_attention: the reference path, used on CPU.

- padded plans read their batch's contiguous KV as one [B, S] view with a causal + length mask;
- packed plans split their rows: single-token rows (decodes) attend together in one batched call
  over their KV gathered to [B, S] with a length mask; longer rows (prefill chunks) attend one by
  one with a bottom-right-aligned causal mask when a chunk continues a cached prefix.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.attention.bias import causal_lower_right

from tokbench.engine.attention.base import AttentionBackend, LayerAttention, store_kv
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.step_inputs import StepInputs


def _attend_chunk(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """q: [n, Hq, D], k/v: [ctx, Hkv, D] of one sequence whose last n keys are the queries'."""
    n, ctx = q.shape[0], k.shape[0]
    qh, kh, vh = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
    if n == ctx:
        out = F.scaled_dot_product_attention(qh, kh, vh, is_causal=True, enable_gqa=True)
    else:
        out = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=causal_lower_right(n, ctx), enable_gqa=True)
    return out.transpose(0, 1)


def context_slots(inputs: StepInputs, rows: list[int], span: int, device: torch.device) -> torch.Tensor:
    """[len(rows), span] physical slot of each context position (positions past a row's end: any valid slot)."""
    pos = torch.arange(span, device=device)
    if inputs.block_tables is None:
        bases = torch.tensor([inputs.bases[i] for i in rows], device=device)
        return (bases[:, None] + pos[None, :]).clamp_(max=inputs.kv.capacity - 1)
    bs = inputs.kv.block_size
    width = -(-span // bs)
    tables = torch.zeros(len(rows), width, dtype=torch.long)
    for r, i in enumerate(rows):
        t = inputs.block_tables[i][:width]
        tables[r, : len(t)] = torch.tensor(t, dtype=torch.long)
    tables = tables.to(device)
    return tables[:, pos // bs] * bs + pos % bs


class SDPABackend(AttentionBackend):
    name = "torch-sdpa"

    def bind(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        if inputs.layout == "padded":
            return self._padded(inputs, storage)
        return self._packed(inputs, storage)

    def _packed(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        device = inputs.input_ids.device
        q_lens, ctx_lens = inputs.q_lens, inputs.ctx_lens
        cu_q = [0]
        for n in q_lens:
            cu_q.append(cu_q[-1] + n)
        decodes = [i for i, n in enumerate(q_lens) if n == 1]
        chunks = [i for i, n in enumerate(q_lens) if n > 1]
        all_decode = len(decodes) == len(q_lens)
        if decodes:
            span = max(ctx_lens[i] for i in decodes)
            slots = context_slots(inputs, decodes, span, device).flatten()
            lens = torch.tensor([ctx_lens[i] for i in decodes], device=device)
            mask = (torch.arange(span, device=device)[None, :] < lens[:, None])[:, None, None, :]
            q_rows = torch.tensor([cu_q[i] for i in decodes], device=device)
        chunk_slots = {i: torch.tensor(inputs.kv.slots(_seq_of(inputs, i), 0, ctx_lens[i]), device=device)
                       for i in chunks} if inputs.block_tables is not None else None

        def attention(layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            store_kv(inputs, storage, layer, k, v)
            kc, vc = storage.k[layer], storage.v[layer]
            hq, d = q.shape[1:]
            hkv = kc.shape[1]
            out = q if all_decode else torch.empty_like(q)
            if decodes:
                b = len(decodes)
                qd = q if all_decode else q.index_select(0, q_rows)
                qd = qd.view(b, hkv, hq // hkv, d)  # query heads grouped under their KV head
                kd = kc.index_select(0, slots).view(b, span, hkv, d).transpose(1, 2)
                vd = vc.index_select(0, slots).view(b, span, hkv, d).transpose(1, 2)
                od = F.scaled_dot_product_attention(qd, kd, vd, attn_mask=mask).reshape(b, hq, d)
                if all_decode:
                    return od
                out.index_copy_(0, q_rows, od)
            for i in chunks:
                lo, hi, ctx = cu_q[i], cu_q[i + 1], ctx_lens[i]
                if chunk_slots is None:
                    base = inputs.bases[i]
                    kk, vv = kc[base : base + ctx], vc[base : base + ctx]
                else:
                    kk, vv = kc.index_select(0, chunk_slots[i]), vc.index_select(0, chunk_slots[i])
                out[lo:hi] = _attend_chunk(q[lo:hi], kk, vv)
            return out

        return attention

    def _padded(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        bases, rows, length = inputs.bases, len(inputs.q_lens), inputs.padded_len
        if bases is None:
            raise ValueError("padded plans need contiguous KV")
        stride = bases[1] - bases[0] if rows > 1 else 0
        if rows > 1 and (stride < 1 or any(bases[i] != bases[0] + i * stride for i in range(rows))):
            raise ValueError("a padded batch must hold its rows' KV side by side (reserve_group)")
        device = inputs.input_ids.device
        starts = torch.tensor([c - n for c, n in zip(inputs.ctx_lens, inputs.q_lens)], device=device)
        q_lens = torch.tensor(inputs.q_lens, device=device)
        span = max(max(inputs.ctx_lens), 1)
        j = torch.arange(length, device=device)
        # A real query sees keys up to its own position; a padding query sees key 0 only (no NaNs).
        last_key = torch.where(j[None, :] < q_lens[:, None], starts[:, None] + j[None, :], 0)
        mask = (torch.arange(span, device=device)[None, None, :] <= last_key[:, :, None])[:, None]  # [B,1,L,S]
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


def _seq_of(inputs: StepInputs, row: int):
    return inputs.seqs[row]
