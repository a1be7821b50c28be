"""CPU stand-ins for FlashAttention's entry points, written from their documented contracts.

They let the flash-attn and torch-varlen backends run on CPU, so what they pass (offsets,
lengths, block tables, leftpad, causal form) is checked against the SDPA reference. Each also
enforces the preconditions the real kernels check or silently rely on (int32 metadata, paged
blocks a multiple of 256 for flash-attn, no empty rows under the single-query fast path).
Attention itself is plain math here: bottom-right causal alignment, GQA by repeating KV heads.
"""

from __future__ import annotations

import types

import torch


def _attend(q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, causal: bool) -> torch.Tensor:
    """q [n, Hq, D] over keys/values [ctx, Hkv, D]; query i sits at position ctx - n + i."""
    n, hq, d = q.shape
    ctx = keys.shape[0]
    rep = hq // keys.shape[1]
    k, v = keys.repeat_interleave(rep, 1), values.repeat_interleave(rep, 1)
    scores = torch.einsum("qhd,khd->hqk", q.float(), k.float()) * d**-0.5
    if causal:
        allowed = torch.arange(ctx)[None, :] <= (ctx - n + torch.arange(n))[:, None]
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.einsum("hqk,khd->qhd", scores.softmax(-1), v.float()).to(q.dtype)


def _check_int32(**tensors) -> None:
    for name, t in tensors.items():
        if t is not None:
            assert t.dtype == torch.int32, f"{name} must be int32, got {t.dtype}"


def _row_keys(k, b, *, cu_k, seqused_k, block_table):
    if block_table is not None:
        n = int(seqused_k[b]) if seqused_k is not None else int(cu_k[b + 1] - cu_k[b])
        return k[block_table[b].long()].flatten(0, 1)[:n]
    start = int(cu_k[b])
    n = int(seqused_k[b]) if seqused_k is not None else int(cu_k[b + 1]) - start
    return k[start : start + n]


def reference_varlen(q, k, v, cu_q, cu_k, max_q, max_k, *, causal, seqused_k=None, block_table=None):
    _check_int32(cu_q=cu_q, cu_k=cu_k, seqused_k=seqused_k, block_table=block_table)
    assert q.dim() == 3 and q.shape[1] % k.shape[-2] == 0
    rows = cu_q.numel() - 1
    lens = [int(cu_q[b + 1] - cu_q[b]) for b in range(rows)]
    assert max(lens) == max_q, "max_q must be the longest row"
    if max_q == 1:  # FlashAttention 2 then reshapes q as [rows, ...]: every row needs exactly one query
        assert all(n == 1 for n in lens), "single-query fast path with an empty row"
    out = torch.empty_like(q)
    for b in range(rows):
        lo, hi = int(cu_q[b]), int(cu_q[b + 1])
        keys = _row_keys(k, b, cu_k=cu_k, seqused_k=seqused_k, block_table=block_table)
        vals = _row_keys(v, b, cu_k=cu_k, seqused_k=seqused_k, block_table=block_table)
        assert keys.shape[0] <= max_k, "a row has more keys than max_k"
        out[lo:hi] = _attend(q[lo:hi], keys, vals, causal)
    return out


# torch.nn.attention.varlen.varlen_attn as it looked in each release line.

def varlen_attn_2_9(query, key, value, cu_seq_q, cu_seq_k, max_q, max_k, is_causal=False, return_aux=None):
    assert query.shape[1] == key.shape[1], "torch 2.9 varlen_attn has no GQA"
    return reference_varlen(query, key, value, cu_seq_q, cu_seq_k, max_q, max_k, causal=is_causal)


def varlen_attn_2_10(query, key, value, cu_seq_q, cu_seq_k, max_q, max_k, *, return_aux=None, scale=None,
                     window_size=(-1, -1)):
    assert query.shape[1] == key.shape[1], "torch 2.10 varlen_attn has no GQA"
    return reference_varlen(query, key, value, cu_seq_q, cu_seq_k, max_q, max_k, causal=window_size == (-1, 0))


def varlen_attn_2_12(query, key, value, cu_seq_q, cu_seq_k, max_q, max_k, *, return_aux=None, scale=None,
                     window_size=(-1, -1), enable_gqa=False, seqused_k=None, block_table=None, num_splits=None):
    heads_k = key.shape[2] if block_table is not None else key.shape[1]
    assert enable_gqa or query.shape[1] == heads_k, "GQA without enable_gqa"
    if block_table is not None:
        assert key.dim() == 4 and seqused_k is not None, "block_table needs a [pages, page, H, D] pool and seqused_k"
    return reference_varlen(query, key, value, cu_seq_q, cu_seq_k, max_q, max_k, causal=window_size == (-1, 0),
                            seqused_k=seqused_k, block_table=block_table)


# The flash_attn package (2.6+ keyword names).

def flash_attn_varlen_func(q, k, v, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k, dropout_p=0.0,
                           softmax_scale=None, causal=False, window_size=(-1, -1), softcap=0.0, alibi_slopes=None,
                           deterministic=False, return_attn_probs=False, block_table=None):
    if block_table is not None:
        assert k.dim() == 4 and k.shape[1] % 256 == 0, "Paged KV cache block size must be divisible by 256"
    return reference_varlen(q, k, v, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k, causal=causal,
                            block_table=block_table)


def flash_attn_with_kvcache(q, k_cache, v_cache, k=None, v=None, rotary_cos=None, rotary_sin=None,
                            cache_seqlens=None, cache_batch_idx=None, cache_leftpad=None, block_table=None,
                            softmax_scale=None, causal=False, window_size=(-1, -1), softcap=0.0,
                            rotary_interleaved=True, alibi_slopes=None, num_splits=0, return_softmax_lse=False):
    assert k is None and v is None, "tokbench stores K/V itself"
    _check_int32(cache_seqlens=cache_seqlens, cache_batch_idx=cache_batch_idx, cache_leftpad=cache_leftpad,
                 block_table=block_table)
    assert q.dim() == 4
    if block_table is not None:
        assert k_cache.shape[1] % 256 == 0, "Paged KV cache block size must be divisible by 256"
        assert cache_leftpad is None and cache_batch_idx is None, "paged KV takes neither leftpad nor batch idx"
    out = torch.empty_like(q)
    for b in range(q.shape[0]):
        end = int(cache_seqlens[b])
        if block_table is not None:
            keys = k_cache[block_table[b].long()].flatten(0, 1)[:end]
            vals = v_cache[block_table[b].long()].flatten(0, 1)[:end]
        else:
            row = int(cache_batch_idx[b]) if cache_batch_idx is not None else b
            start = int(cache_leftpad[b]) if cache_leftpad is not None else 0
            assert end <= k_cache.shape[1]
            keys, vals = k_cache[row, start:end], v_cache[row, start:end]
        out[b] = _attend(q[b], keys, vals, causal)
    return out


fake_flash_attn = types.SimpleNamespace(flash_attn_varlen_func=flash_attn_varlen_func,
                                        flash_attn_with_kvcache=flash_attn_with_kvcache, __version__="2.7.4")
