"""flash-attn and torch-varlen backends on CPU, through stand-ins written from the kernels' contracts.

What is checked is what tokbench passes: offsets, lengths, block tables, leftpad and the causal
form. The real kernels are run against SDPA by the `cuda` tests (tests/cuda_path/test_cuda.py).
"""

import pytest
import torch

from tests.cuda_path import fake_kernels as fake
from tests.cuda_path.scenarios import LAYOUTS, make_scenario
from tokbench.engine.attention.flash_backend import FlashAttnBackend
from tokbench.engine.attention.torch_varlen import TorchVarlenBackend


@pytest.mark.parametrize("name", LAYOUTS)
def test_torch_varlen_every_layout(name):
    s = make_scenario(**LAYOUTS[name])
    torch.testing.assert_close(s.run(TorchVarlenBackend(fake.varlen_attn_2_12)), s.reference(), atol=1e-5, rtol=1e-5)


def _flash_layout(name):
    spec = dict(LAYOUTS[name])
    if spec["kv"] == "paged":  # flash-attn 2 pages only with blocks of 256
        spec.update(block_size=256, capacity=256 * 8)
    return make_scenario(**spec)


@pytest.mark.parametrize("name", LAYOUTS)
def test_flash_attn_every_layout(name):
    s = _flash_layout(name)
    torch.testing.assert_close(s.run(FlashAttnBackend(fake.fake_flash_attn)), s.reference(), atol=1e-5, rtol=1e-5)


def test_flash_attn_refuses_small_pages():
    s = make_scenario(**LAYOUTS["packed-decode-paged"])  # block size 4
    with pytest.raises(RuntimeError, match="multiple of 256"):
        s.run(FlashAttnBackend(fake.fake_flash_attn))


@pytest.mark.parametrize("fn", [fake.varlen_attn_2_9, fake.varlen_attn_2_10], ids=["2.9", "2.10"])
def test_old_varlen_serves_fresh_prefill_with_gqa_by_repeating_heads(fn):
    s = make_scenario(**LAYOUTS["packed-prefill-paged"])  # 4 query heads over 2 KV heads
    torch.testing.assert_close(s.run(TorchVarlenBackend(fn)), s.reference(), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("fn", [fake.varlen_attn_2_9, fake.varlen_attn_2_10], ids=["2.9", "2.10"])
def test_old_varlen_refuses_cached_steps_with_the_reason(fn):
    s = make_scenario(**LAYOUTS["packed-decode-contiguous"])
    with pytest.raises(RuntimeError, match="seqused_k"):
        s.run(TorchVarlenBackend(fn))
