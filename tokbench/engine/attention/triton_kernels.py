"""Triton kernels for token-major KV ([slots, kv_heads, head_dim]): one store, one attention.

The attention kernel serves every layout with the same code, so every strategy runs the same
kernel: a program takes one row (a sequence's queries this step), one KV head and a tile of
BLOCK_Q queries, and streams that row's keys in tiles of BLOCK_N with an online softmax.
The query heads that share a KV head are folded into the tile's M dimension (GQA: each key
tile is read once for all of them). A key's slot is `table[row, pos // BLOCK_SIZE] * BLOCK_SIZE
+ pos % BLOCK_SIZE` for paged KV or `base[row] + pos` for contiguous KV. Query i of a row sits at
position ctx - q_len + i and sees keys 0..that position (bottom-right causal alignment).
Nothing here reads a host value, so the kernels can be captured in a CUDA graph; the number of
query tiles per row is a runtime argument (a constexpr would compile once per prompt length).

Run on CPU with TRITON_INTERPRET=1 set before triton is imported (the tests do).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from tokbench.engine.attention.kernel_meta import KernelMeta


@triton.jit
def store_kv_kernel(k_ptr, v_ptr, k_cache, v_cache, slot_ptr, stride_k, stride_v,
                    ROW: tl.constexpr, ROW_PAD: tl.constexpr):
    """Copy token i's K/V row (kv_heads * head_dim) into slot_ptr[i]; a slot < 0 is skipped."""
    i = tl.program_id(0)
    slot = tl.load(slot_ptr + i).to(tl.int64)
    if slot < 0:
        return
    offs = tl.arange(0, ROW_PAD)
    mask = offs < ROW
    k = tl.load(k_ptr + i.to(tl.int64) * stride_k + offs, mask=mask)
    v = tl.load(v_ptr + i.to(tl.int64) * stride_v + offs, mask=mask)
    tl.store(k_cache + slot * ROW + offs, k, mask=mask)
    tl.store(v_cache + slot * ROW + offs, v, mask=mask)


@triton.jit
def attention_kernel(q_ptr, o_ptr, k_cache, v_cache, q_start_ptr, q_len_ptr, ctx_ptr, table_ptr, base_ptr,
                     stride_qt, stride_qh, stride_ot, stride_oh, stride_table, scale_log2, n_tiles,
                     NUM_KV_HEADS: tl.constexpr, GROUP: tl.constexpr, GROUP_PAD: tl.constexpr,
                     HEAD_DIM: tl.constexpr, BLOCK_Q: tl.constexpr, BLOCK_N: tl.constexpr,
                     PAGED: tl.constexpr, BLOCK_SIZE: tl.constexpr, PRECISION: tl.constexpr):
    pid = tl.program_id(0)
    kvh = tl.program_id(1)
    row = pid // n_tiles
    tile = pid % n_tiles
    q_len = tl.load(q_len_ptr + row)
    if tile * BLOCK_Q >= q_len:  # rows shorter than the longest, and CUDA-graph padding rows (q_len 0)
        return
    ctx = tl.load(ctx_ptr + row)
    q_start = tl.load(q_start_ptr + row).to(tl.int64)

    BLOCK_M: tl.constexpr = BLOCK_Q * GROUP_PAD
    m = tl.arange(0, BLOCK_M)
    qi = tile * BLOCK_Q + m // GROUP_PAD
    g = m % GROUP_PAD
    valid = (qi < q_len) & (g < GROUP)
    head = kvh * GROUP + g
    d = tl.arange(0, HEAD_DIM)
    q_rows = (q_start + qi)[:, None] * stride_qt + head[:, None] * stride_qh
    q = tl.load(q_ptr + q_rows + d[None, :], mask=valid[:, None], other=0.0)
    pos = ctx - q_len + qi  # the last key each query sees; key 0 is always visible, so no row is all -inf
    kv_end = tl.minimum(ctx, ctx - q_len + (tile + 1) * BLOCK_Q)

    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    if PAGED:
        table_row = table_ptr + row.to(tl.int64) * stride_table
    else:
        base = tl.load(base_ptr + row).to(tl.int64)
    ROW: tl.constexpr = NUM_KV_HEADS * HEAD_DIM
    for start in range(0, kv_end, BLOCK_N):
        n = start + tl.arange(0, BLOCK_N)
        in_ctx = n < kv_end
        if PAGED:
            block = tl.load(table_row + n // BLOCK_SIZE, mask=in_ctx, other=0).to(tl.int64)
            slot = block * BLOCK_SIZE + n % BLOCK_SIZE
        else:
            slot = base + n
        kv_off = slot[:, None] * ROW + kvh * HEAD_DIM + d[None, :]
        k = tl.load(k_cache + kv_off, mask=in_ctx[:, None], other=0.0)
        s = tl.dot(q, tl.trans(k), input_precision=PRECISION) * scale_log2
        s = tl.where((n[None, :] <= pos[:, None]) & in_ctx[None, :], s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        p = tl.math.exp2(s - m_new[:, None])
        alpha = tl.math.exp2(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(v_cache + kv_off, mask=in_ctx[:, None], other=0.0)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v, input_precision=PRECISION)
        m_i = m_new
    acc = acc / l_i[:, None]
    o_rows = (q_start + qi)[:, None] * stride_ot + head[:, None] * stride_oh
    tl.store(o_ptr + o_rows + d[None, :], acc.to(o_ptr.dtype.element_ty), mask=valid[:, None])


LOG2E = 1.4426950408889634
BLOCK_N = 32


def tile_shape(group: int, decode_only: bool) -> tuple[int, int]:
    """(GROUP_PAD, BLOCK_Q): the M tile (BLOCK_Q query positions x GROUP_PAD heads) is at least 16,
    the smallest tl.dot accepts on GPUs; decode rows have one query, so their tile is just 16."""
    group_pad = triton.next_power_of_2(group)
    target = 16 if decode_only else 64
    return group_pad, max(1, target // group_pad)


def store_kv_masked(k_cache: torch.Tensor, v_cache: torch.Tensor, slots: torch.Tensor,
                    k: torch.Tensor, v: torch.Tensor) -> None:
    """Write k/v [T, kv_heads, D] rows into `slots`; rows whose slot is -1 are skipped (graph padding)."""
    t, hkv, d = k.shape
    row = hkv * d
    store_kv_kernel[(t,)](k, v, k_cache, v_cache, slots, k.stride(0), v.stride(0),
                          ROW=row, ROW_PAD=triton.next_power_of_2(row))


def triton_attention(meta: KernelMeta, q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor,
                     out: torch.Tensor | None = None, n_tiles: int | None = None) -> torch.Tensor:
    """Attention of the ribbon q [T, Hq, D] over the cached keys of `meta`'s rows -> [T, Hq, D]."""
    _, hq, d = q.shape
    hkv = k_cache.shape[1]
    group = hq // hkv
    group_pad, block_q = tile_shape(group, meta.decode_only)
    n_tiles = n_tiles or triton.cdiv(meta.max_q, block_q)
    out = torch.empty_like(q) if out is None else out
    table = meta.block_table if meta.paged else meta.ctx_lens_t  # the unused pointer is never read
    bases = meta.bases if meta.bases is not None else meta.ctx_lens_t
    precision = "ieee" if q.dtype == torch.float32 else "tf32"
    grid = (meta.num_rows * n_tiles, hkv)
    attention_kernel[grid](
        q, out, k_cache, v_cache, meta.cu_q, meta.q_lens_t, meta.ctx_lens_t, table, bases,
        q.stride(0), q.stride(1), out.stride(0), out.stride(1), table.stride(0), d**-0.5 * LOG2E, n_tiles,
        NUM_KV_HEADS=hkv, GROUP=group, GROUP_PAD=group_pad, HEAD_DIM=d, BLOCK_Q=block_q, BLOCK_N=BLOCK_N,
        PAGED=meta.paged, BLOCK_SIZE=meta.block_size, PRECISION=precision,
    )
    return out
