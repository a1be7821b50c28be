"""Decode attention on head-major KV: the native in-place kernel and the grouped SDPA path agree with
a plain per-row attention, for paged and contiguous KV, GQA and MHA, short and long contexts."""

import pytest
import torch
import torch.nn.functional as F

from tokbench.engine.attention import native_decode
from tokbench.engine.attention.decode_rows import DecodeRows

CTX = [1, 5, 16, 17, 33, 90, 300, 31, 64]


def _case(hq, hkv, d, paged, seed=0):
    gen = torch.Generator().manual_seed(seed)
    bs = 16
    slots = 4096
    kc = torch.randn(hkv, slots + 512, d, generator=gen)  # + read slack, as KVStorage keeps
    vc = torch.randn(hkv, slots + 512, d, generator=gen)
    q = torch.randn(len(CTX), hq, d, generator=gen)
    perm = torch.randperm(slots // bs, generator=gen).tolist()
    tables, bases, used = [], [], 0
    for c in CTX:
        n = -(-c // bs)
        tables.append(perm[used : used + n])
        bases.append(used * bs + 3)  # contiguous runs need not be block-aligned
        used += n + 1
    return q, kc, vc, (tables if paged else None), (None if paged else bases)


def _expected(q, kc, vc, tables, bases, bs=16):
    out = []
    for r, c in enumerate(CTX):
        pos = torch.arange(c)
        slots = (torch.tensor(tables[r])[pos // bs] * bs + pos % bs) if tables else bases[r] + pos
        k, v = kc[:, slots], vc[:, slots]
        hkv = k.shape[0]
        out.append(F.scaled_dot_product_attention(q[r].view(hkv, -1, q.shape[2]), k, v).reshape(q.shape[1:]))
    return torch.stack(out)


@pytest.mark.parametrize("paged", [True, False], ids=["paged", "contiguous"])
@pytest.mark.parametrize("heads", [(8, 4, 32), (4, 4, 64), (12, 2, 16), (16, 4, 64), (16, 4, 128), (32, 4, 128)],
                         ids=["gqa2", "mha", "gqa6", "gqa4-d64", "gqa4-d128", "gqa8-d128"])  # each of the kernel's specialised shapes
@pytest.mark.parametrize("path", ["native", "grouped"])
def test_decode_rows_match_per_row_attention(paged, heads, path):
    kernel = native_decode.load(torch.float32, torch.device("cpu")) if path == "native" else None
    if path == "native" and kernel is None:
        pytest.skip(f"native decode kernel unavailable: {native_decode.status()}")
    q, kc, vc, tables, bases = _case(*heads, paged)
    rows = DecodeRows(CTX, block_tables=tables, bases=bases, block_size=16, device=torch.device("cpu"), kernel=kernel)
    torch.testing.assert_close(rows(q, kc, vc), _expected(q, kc, vc, tables, bases), rtol=1e-5, atol=1e-5)


def test_native_kernel_refuses_shapes_beyond_its_limits_and_the_grouped_path_takes_over():
    kernel = native_decode.load(torch.float32, torch.device("cpu"))
    if kernel is None:
        pytest.skip(f"native decode kernel unavailable: {native_decode.status()}")
    q, kc, vc, tables, bases = _case(34, 2, 8, paged=True)  # 17 query heads per KV head: over MAX_GROUP
    assert native_decode.decode_attention(kernel, q, kc, vc, torch.tensor(CTX), table=None,
                                          bases=torch.zeros(len(CTX), dtype=torch.long), block_size=16) is None
    rows = DecodeRows(CTX, block_tables=tables, bases=None, block_size=16, device=torch.device("cpu"), kernel=kernel)
    torch.testing.assert_close(rows(q, kc, vc), _expected(q, kc, vc, tables, None), rtol=1e-5, atol=1e-5)


def test_native_kernel_is_only_offered_for_fp32_on_cpu():
    assert native_decode.load(torch.bfloat16, torch.device("cpu")) is None
    assert native_decode.load(torch.float32, torch.device("meta")) is None
