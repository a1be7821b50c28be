"""tokbench's Triton attention against the SDPA reference, in every layout (CPU: Triton's interpreter)."""

import pytest
import torch

pytest.importorskip("triton", reason="triton is not installed (pip install triton: a CPU-usable wheel)")

from tests.cuda_path.scenarios import LAYOUTS, make_scenario, small_config  # noqa: E402
from tokbench.engine.attention.triton_backend import TritonBackend  # noqa: E402
from tokbench.engine.attention.triton_kernels import store_kv_masked, tile_shape  # noqa: E402


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_layout_matches_sdpa(name):
    s = make_scenario(**LAYOUTS[name])
    torch.testing.assert_close(s.run(TritonBackend()), s.reference(), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("heads", [(4, 4, 16), (7, 1, 32), (6, 2, 64)], ids=["mha", "group7", "dim64"])
def test_head_groupings(heads):
    # group 7 pads to 8 in the kernel's M tile: the padding heads must not leak into real ones
    cfg = small_config(*heads)
    s = make_scenario(rows=[(9, 1), (5, 4), (0, 6)], layout="packed", kv="paged", cfg=cfg, seed=3)
    torch.testing.assert_close(s.run(TritonBackend()), s.reference(), atol=1e-5, rtol=1e-5)


def test_long_rows_cross_key_and_query_tiles():
    # 70 cached + 40 new queries: several key tiles of 32 and more than one query tile
    s = make_scenario(rows=[(70, 40), (33, 1)], layout="packed", kv="contiguous", seed=4)
    torch.testing.assert_close(s.run(TritonBackend()), s.reference(), atol=1e-5, rtol=1e-5)


def test_half_precision_within_rounding():
    # fp16: the interpreter's bf16 tl.dot is wrong on CPU (numpy has no bf16); bf16 is a cuda test
    s = make_scenario(**LAYOUTS["packed-mixed-paged"])
    out = s.run(TritonBackend(), dtype=torch.float16)
    torch.testing.assert_close(out, s.reference(), atol=5e-3, rtol=5e-3)


def test_tiles_are_wide_enough_for_tl_dot():
    for group in range(1, 17):
        for decode in (True, False):
            pad, block_q = tile_shape(group, decode)
            assert pad >= group and pad & (pad - 1) == 0
            assert pad * block_q >= 16


def test_masked_store_skips_negative_slots():
    k_cache, v_cache = torch.zeros(8, 2, 4), torch.zeros(8, 2, 4)
    k, v = torch.randn(3, 2, 4), torch.randn(3, 2, 4)
    store_kv_masked(k_cache, v_cache, torch.tensor([5, -1, 0]), k, v)
    torch.testing.assert_close(k_cache[5], k[0])
    torch.testing.assert_close(v_cache[0], v[2])
    assert k_cache[[1, 2, 3, 4, 6, 7]].abs().sum() == 0  # the skipped row went nowhere
