"""Attention on torch's scaled_dot_product_attention: the reference path, used on CPU.

KV is stored head-major ([kv_heads, slots, dim]) so a sequence's context is a strided view.
- padded plans read their batch's contiguous KV as one [B, S] view with a causal + length mask;
- packed plans: single-token rows (decodes) attend over their contexts read in place by a native
  kernel, or else in groups of similar context length (attention/decode_rows.py); prefill
  chunks attend one by one: a chunk that is a whole prompt over the step's own K/V, a chunk that
  continues a cached prefix over a view (contiguous) or its gathered blocks (paged), with a
  bottom-right-aligned causal mask.
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np
import torch
import torch.nn.functional as F

from tokbench.engine.attention.base import AttentionBackend, LayerAttention, store_kv
from tokbench.engine.attention.context import gather_blocks
from tokbench.engine.attention.decode_rows import DecodeRows
from tokbench.engine.attention.native_decode import load as load_native
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.step_inputs import StepInputs


def bottom_right_causal(n: int, ctx: int, device: torch.device) -> torch.Tensor:
    """[n, ctx] True where query i (the last n of ctx positions) may see key j: j <= i + ctx - n.

    What torch's `causal_lower_right` means, as a plain boolean mask: as fast on CPU, identical
    results, and importing torch.nn.attention.bias would load torch._dynamo (about 2 s)."""
    return torch.ones(n, ctx, dtype=torch.bool, device=device).tril(ctx - n)


def attend_row(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """q: [n, Hq, D]; k/v: [Hkv, ctx, D] of one sequence whose last n keys are the queries' -> [n, Hq, D].

    mask: bottom_right_causal(n, ctx) when the queries continue a cached prefix (n < ctx), built once
    per step by the caller (every layer uses the same); None when n == ctx (plain causal)."""
    n, hq, d = q.shape
    hkv, ctx = k.shape[0], k.shape[1]
    if n == 1:  # fold the query heads that share a KV head into one query block: no KV copies
        return F.scaled_dot_product_attention(q.view(hkv, hq // hkv, d), k, v).reshape(1, hq, d)
    # A leading batch dimension matters: on CPU, 3-D inputs take SDPA's math path, 4-D ones its
    # flash kernel (4x faster for a 768-token prompt on 2 cores, and no [n, ctx] score matrix).
    qh, k, v = q.transpose(0, 1)[None], k[None], v[None]
    if mask is None:
        out = F.scaled_dot_product_attention(qh, k, v, is_causal=True, enable_gqa=True)
    else:
        out = F.scaled_dot_product_attention(qh, k, v, attn_mask=mask, enable_gqa=True)
    return out[0].transpose(0, 1)


class SDPABackend(AttentionBackend):
    name = "torch-sdpa"
    head_major_kv = True

    def bind(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        if not storage.head_major:
            raise ValueError("the SDPA backend reads head-major KV storage")
        if inputs.layout == "padded":
            return self._padded(inputs, storage)
        return self._packed(inputs, storage)

    def _packed(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        device = inputs.input_ids.device
        ctx_lens, q_lens, samples = inputs.ctx_lens, inputs.q_lens, inputs.samples
        chunks = [i for i, n in enumerate(q_lens) if n > 1] if max(q_lens) > 1 else []
        decodes = [i for i, n in enumerate(q_lens) if n == 1] if chunks else list(range(len(q_lens)))
        table = inputs.block_table
        paged = table is not None
        bs = inputs.kv.block_size if paged else 1
        if decodes:
            decode_rows = DecodeRows(
                [ctx_lens[i] for i in decodes] if chunks else ctx_lens, device=device, block_size=bs,
                block_tables=(table[decodes] if chunks else table) if paged else None,
                bases=None if paged else ([inputs.bases[i] for i in decodes] if chunks else inputs.bases),
                kernel=load_native(storage.k[0].dtype, device))
        if chunks:
            cu = [0, *accumulate(q_lens)]
            if decodes:
                q_rows = torch.tensor([cu[i] for i in decodes], device=device)
        continuing = [i for i in chunks if ctx_lens[i] > q_lens[i]]  # chunks after a cached prefix
        masks = {i: bottom_right_causal(q_lens[i], ctx_lens[i], device) for i in continuing}
        if paged:
            chunk_blocks = {i: table[i, : -(-ctx_lens[i] // bs)].to(device) for i in continuing}

        def attention(layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, keep=None) -> torch.Tensor:
            store_kv(inputs, storage, layer, k, v)
            kc, vc = storage.k[layer], storage.v[layer]
            # Only the sampling rows will be read (the model's last layer): a chunk that samples needs
            # its last query alone, which sees every key (no mask); one that does not, no attention.
            sampled_only = keep is inputs.sample_index
            out = torch.empty_like(q)
            if decodes:
                od = decode_rows(q.index_select(0, q_rows) if chunks else q, kc, vc)
                if not chunks:
                    return od
                out.index_copy_(0, q_rows, od)
            for i in chunks:
                lo, hi, ctx = cu[i], cu[i + 1], ctx_lens[i]
                if sampled_only and not samples[i]:
                    continue
                if ctx == hi - lo:  # a whole prompt in this step: its keys are this step's own, no cache read
                    kk, vv = k[lo:hi].transpose(0, 1), v[lo:hi].transpose(0, 1)
                elif paged:
                    kk = gather_blocks(kc, chunk_blocks[i], bs)[:, :ctx]
                    vv = gather_blocks(vc, chunk_blocks[i], bs)[:, :ctx]
                else:
                    base = inputs.bases[i]
                    kk, vv = kc[:, base : base + ctx], vc[:, base : base + ctx]
                if sampled_only:
                    out[hi - 1 : hi] = attend_row(q[hi - 1 : hi], kk, vv, None)
                else:
                    out[lo:hi] = attend_row(q[lo:hi], kk, vv, masks.get(i))
            return out

        return attention

    def _padded(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        bases, rows, length = inputs.bases, len(inputs.q_lens), inputs.padded_len
        if bases is None:
            raise ValueError("padded plans need contiguous KV")
        first = np.array(bases, dtype=np.int64)
        stride = int(first[1] - first[0]) if rows > 1 else 0
        if rows > 1 and (stride < 1 or (np.diff(first) != stride).any()):
            raise ValueError("a padded batch must hold its rows' KV side by side (reserve_group)")
        device = inputs.input_ids.device
        q_lens = np.array(inputs.q_lens, dtype=np.int64)[:, None]
        starts = np.array(inputs.ctx_lens, dtype=np.int64)[:, None] - q_lens
        span = max(max(inputs.ctx_lens), 1)
        j = np.arange(length)[None, :]
        # A real query sees keys up to its own position; a padding query sees key 0 only (no NaNs).
        last_key = np.where(j < q_lens, starts + j, 0)
        mask = torch.from_numpy(np.arange(span)[None, None, :] <= last_key[:, :, None])[:, None].to(device)  # [B,1,L,S]
        row_stride = stride if rows > 1 else span
        base = bases[0]

        def attention(layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, keep=None) -> torch.Tensor:
            store_kv(inputs, storage, layer, k, v)
            hkv, _, d = storage.k[layer].shape
            hq = q.shape[1]
            kc = storage.k[layer][:, base : base + rows * row_stride].view(hkv, rows, row_stride, d)[:, :, :span]
            vc = storage.v[layer][:, base : base + rows * row_stride].view(hkv, rows, row_stride, d)[:, :, :span]
            kc, vc = kc.transpose(0, 1), vc.transpose(0, 1)  # [B, Hkv, S, D]
            if length == 1:  # decode: fold query heads per KV head, as in attend_row
                out = F.scaled_dot_product_attention(q.view(rows, hkv, hq // hkv, d), kc, vc, attn_mask=mask)
                return out.reshape(rows, hq, d)
            qh = q.view(rows, length, hq, d).transpose(1, 2)
            out = F.scaled_dot_product_attention(qh, kc, vc, attn_mask=mask, enable_gqa=True)
            return out.transpose(1, 2).reshape(rows * length, hq, d)

        return attention
