"""The fused native elementwise kernels (model/elementwise.c) against the torch formulas they replace.

The residual add and RoPE must give torch's bits exactly, argmax torch's index exactly (ties, -inf,
NaN); RMSNorm and SiLU·mul agree to float rounding. Whole-model: the same greedy tokens either way.
"""

import pytest
import torch
from hypothesis import given, settings, strategies as st

from tokbench.model import elementwise
from tokbench.model.elementwise import NativeElementwise, TorchElementwise, select_elementwise
from tokbench.model.llama import RMSNorm
from tokbench.model.rope import RotaryTable
from tokbench.native_build import NativeLibrary

NATIVE, TORCH = NativeElementwise(), TorchElementwise()


@pytest.fixture(autouse=True, scope="module")
def native_available():
    if elementwise.LIBRARY.functions() is None:
        pytest.skip(f"native elementwise kernels unavailable: {elementwise.LIBRARY.status}")


def _norm(dim: int, seed: int) -> RMSNorm:
    norm = RMSNorm(dim, 1e-5)
    norm.weight.data = torch.randn(dim, generator=torch.Generator().manual_seed(seed))
    return norm


@pytest.mark.parametrize("rows,dim", [(1, 256), (37, 256), (3, 19), (600, 128)])
@pytest.mark.parametrize("with_delta", [True, False])
def test_add_rms_norm_matches_torch(rows, dim, with_delta):
    gen = torch.Generator().manual_seed(rows * dim)
    x, delta, norm = torch.randn(rows, dim, generator=gen) * 3, torch.randn(rows, dim, generator=gen), _norm(dim, 1)
    with torch.inference_mode():
        want_x, want = TORCH.add_rms_norm(x.clone(), delta if with_delta else None, norm)
        got_x, got = NATIVE.add_rms_norm(x.clone(), delta if with_delta else None, norm)
    assert torch.equal(got_x, want_x)  # the residual add: torch's rounding exactly
    torch.testing.assert_close(got, want, rtol=2e-6, atol=2e-6)


def test_add_rms_norm_updates_the_residual_in_place_and_leaves_delta_alone():
    x, delta = torch.randn(4, 64), torch.randn(4, 64)
    before_x, before_delta = x.clone(), delta.clone()
    with torch.inference_mode():
        out_x, _ = NATIVE.add_rms_norm(x, delta, _norm(64, 2))
    assert out_x.data_ptr() == x.data_ptr()
    assert torch.equal(x, before_x + before_delta) and torch.equal(delta, before_delta)


@pytest.mark.parametrize("tokens", [1, 5, 300])
def test_rope_gives_torch_bits_on_strided_q_k_heads(tiny_model, tokens):
    cfg = tiny_model.cfg
    table = RotaryTable(cfg, torch.device("cpu"), torch.float32)
    heads, d = cfg.num_heads + cfg.num_kv_heads, cfg.head_dim
    gen = torch.Generator().manual_seed(tokens)
    qkv = torch.randn(tokens, (heads + cfg.num_kv_heads) * d, generator=gen)  # v after q|k: rows are strided
    positions = torch.randint(0, cfg.max_model_len, (tokens,), generator=gen)
    want = TORCH.rotation(table, positions).apply(qkv[:, : heads * d].view(tokens, heads, d))
    v_before = qkv[:, heads * d :].clone()
    got = NATIVE.rotation(table, positions).apply(qkv[:, : heads * d].view(tokens, heads, d))
    assert torch.equal(got, want)
    assert torch.equal(qkv[:, heads * d :], v_before)  # v untouched


def test_rope_refuses_positions_outside_the_table(tiny_model):
    table = RotaryTable(tiny_model.cfg, torch.device("cpu"), torch.float32)
    with pytest.raises(IndexError):
        NATIVE.rotation(table, torch.tensor([0, tiny_model.cfg.max_model_len]))


@pytest.mark.parametrize("rows,inter", [(1, 704), (9, 13), (64, 704)])
def test_silu_mul_matches_torch(rows, inter):
    gate_up = torch.randn(rows, 2 * inter, generator=torch.Generator().manual_seed(inter)) * 8
    gate_up[0, :6] = torch.tensor([0.0, -0.0, 100.0, -100.0, 88.5, -90.0])  # exp's clamps and zeros
    torch.testing.assert_close(NATIVE.silu_mul(gate_up), TORCH.silu_mul(gate_up), rtol=2e-6, atol=1e-6)


# Rows of few distinct values force ties; -inf and NaN appear often enough to be tested.
VALUES = st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, float("-inf"), float("inf"), float("nan"), 2.5])


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(VALUES, min_size=1, max_size=70), min_size=1, max_size=4).filter(
    lambda rs: len({len(r) for r in rs}) == 1))
def test_argmax_is_torchs_index_on_ties_infinities_and_nans(rows):
    logits = torch.tensor(rows, dtype=torch.float32)
    assert torch.equal(NATIVE.argmax(logits), TORCH.argmax(logits))


@pytest.mark.parametrize("cols", [1, 15, 16, 17, 100, 32000])
def test_argmax_matches_torch_on_random_rows(cols):
    gen = torch.Generator().manual_seed(cols)
    logits = torch.randn(7, cols, generator=gen)
    logits[3, :] = 1.0  # all equal: the first index
    assert torch.equal(NATIVE.argmax(logits), TORCH.argmax(logits))
    # Few distinct values: the maximum recurs in many vector lanes, the first one must win.
    ties = torch.randint(0, 4, (200, cols), generator=gen).float()
    assert torch.equal(NATIVE.argmax(ties), TORCH.argmax(ties))


def test_non_dense_or_non_fp32_inputs_take_the_torch_path():
    gate_up = torch.randn(3, 20, dtype=torch.float64)
    assert torch.equal(NATIVE.silu_mul(gate_up), TORCH.silu_mul(gate_up))
    logits = torch.randn(16, 5).t()  # transposed: not row-major
    assert torch.equal(NATIVE.argmax(logits), TORCH.argmax(logits))


def test_selection_says_why_torch_runs(monkeypatch, tmp_path):
    kernels, why = select_elementwise(torch.device("cpu"), torch.bfloat16)
    assert isinstance(kernels, TorchElementwise) and not isinstance(kernels, NativeElementwise)
    assert why == "torch: native kernels are for fp32 on the CPU"
    assert select_elementwise(torch.device("cpu"), torch.float32)[1] == "native"
    monkeypatch.setenv(elementwise.ENV, "0")
    off = NativeLibrary(elementwise.SOURCE, elementwise.ENV, lambda lib: lib)
    assert off.functions() is None and off.status == f"disabled ({elementwise.ENV}=0)"
    monkeypatch.setenv(elementwise.ENV, "1")
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    broken = NativeLibrary(elementwise.SOURCE, elementwise.ENV, lambda lib: lib)
    assert broken.functions() is None and broken.status.startswith("build failed")


def test_model_gives_the_same_greedy_tokens_with_either_kernels(tiny_model):
    model = tiny_model.model
    assert model.elementwise_path == "native"
    gen = torch.Generator().manual_seed(5)
    ids = torch.randint(0, tiny_model.cfg.vocab_size, (40,), generator=gen)
    positions = torch.arange(40)

    def attend(layer, q, k, v):  # causal attention over the step's own tokens
        out = torch.nn.functional.scaled_dot_product_attention(q.transpose(0, 1), k.transpose(0, 1),
                                                               v.transpose(0, 1), is_causal=True, enable_gqa=True)
        return out.transpose(0, 1)

    results = {}
    with torch.inference_mode():
        for name, kernels in (("native", NATIVE), ("torch", TORCH)):
            model.elementwise = kernels
            try:
                hidden = model(ids, positions, attend)
                results[name] = (hidden, model.greedy(hidden))
            finally:
                model.elementwise = NATIVE
    torch.testing.assert_close(results["native"][0], results["torch"][0], rtol=1e-4, atol=1e-4)
    assert torch.equal(results["native"][1], results["torch"][1])


def test_results_record_which_elementwise_kernels_ran(tiny_model):
    from tokbench.engine.engine import Engine

    assert Engine(tiny_model, 512).describe_backend()["elementwise_kernels"] == "native"
