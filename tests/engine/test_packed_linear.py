"""oneDNN-prepacked linears compute what F.linear computes, follow in-place weight edits, and can be turned off."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tokbench.model import load_model
from tokbench.model.packed_linear import ENV, PackedLinear, pack_linears, unavailable_reason

CPU = torch.device("cpu")
needs_onednn = pytest.mark.skipif(unavailable_reason(CPU, torch.float32) is not None,
                                  reason=f"packed linears unavailable: {unavailable_reason(CPU, torch.float32)}")


@needs_onednn
@pytest.mark.parametrize("rows", [1, 7, 300])
@pytest.mark.parametrize("bias", [False, True])
def test_packed_linear_matches_f_linear(rows, bias):
    torch.manual_seed(rows)
    linear = nn.Linear(96, 200, bias=bias)
    packed = PackedLinear(linear)
    x = torch.randn(rows, 96)
    torch.testing.assert_close(packed(x), F.linear(x, linear.weight, linear.bias), rtol=1e-5, atol=1e-5)


@needs_onednn
def test_weight_edited_in_place_after_packing_is_used():
    linear = nn.Linear(16, 8, bias=False)
    packed = PackedLinear(linear)
    x = torch.randn(3, 16)
    packed(x)  # packs the current weight
    with torch.no_grad():
        linear.weight.mul_(2.0)
    torch.testing.assert_close(packed(x), F.linear(x, linear.weight), rtol=1e-5, atol=1e-5)


def test_pack_linears_shares_parameters_instead_of_copying():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2)))
    before = [p.data_ptr() for p in model.parameters()]
    assert pack_linears(model) == 2
    assert isinstance(model[0], PackedLinear) and isinstance(model[2][0], PackedLinear)
    assert [p.data_ptr() for p in model.parameters()] == before


@needs_onednn
def test_model_records_which_linear_path_ran(monkeypatch):
    packed = load_model("tiny", dtype=torch.float32, device=CPU)
    assert packed.model.linear_path == "onednn-prepacked"
    monkeypatch.setenv(ENV, "0")
    plain = load_model("tiny", dtype=torch.float32, device=CPU)
    assert plain.model.linear_path == f"torch: off ({ENV}=0)"
    ids, pos = torch.tensor([5, 17, 300, 2]), torch.arange(4)
    with torch.inference_mode():
        attention = lambda layer, q, k, v: F.scaled_dot_product_attention(  # noqa: E731
            q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1), is_causal=True, enable_gqa=True).transpose(0, 1)
        a = packed.model.logits(packed.model(ids, pos, attention))
        b = plain.model.logits(plain.model(ids, pos, attention))
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    assert torch.equal(a.argmax(-1), b.argmax(-1))


def test_not_used_off_cpu_or_below_fp32():
    assert unavailable_reason(CPU, torch.bfloat16) == "only for fp32 on the CPU"
    assert unavailable_reason(torch.device("cuda"), torch.float32) == "only for fp32 on the CPU"



@needs_onednn
def test_skipped_when_a_packed_copy_would_not_fit(monkeypatch):
    import tokbench.model.packed_linear as packed_linear

    monkeypatch.setattr(packed_linear, "available_memory_bytes", lambda: 8 * 2**30)
    assert unavailable_reason(CPU, torch.float32, weight_bytes=1 * 2**30) is None
    reason = unavailable_reason(CPU, torch.float32, weight_bytes=32 * 2**30)
    assert reason is not None and "32.0 GiB" in reason and "8.0 GiB available" in reason


@needs_onednn
def test_replaced_weight_data_is_repacked_and_module_copies():
    import copy

    linear = nn.Linear(16, 8, bias=False)
    packed = PackedLinear(linear)
    x = torch.randn(3, 16)
    packed(x)
    linear.weight.data = torch.randn(8, 16)  # new storage, same version counter
    torch.testing.assert_close(packed(x), F.linear(x, linear.weight), rtol=1e-5, atol=1e-5)
    twin = copy.deepcopy(packed)  # the opaque packed tensor is dropped, not copied
    torch.testing.assert_close(twin(x), packed(x), rtol=1e-5, atol=1e-5)
