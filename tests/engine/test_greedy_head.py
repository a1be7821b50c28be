"""The int8-screened greedy head (model/greedy_head.py) against the full prepacked fp32 LM head.

The screen may only ever change how many logits are computed, never the token: every case compares
with argmax over the full head's logits, including exact ties, near-ties the int8 product cannot
tell apart, zero rows, non-finite rows and weights, and weights edited after the screen was built.
"""

import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from tokbench.model import greedy_head
from tokbench.model.greedy_head import SCREENED, ScreenedGreedyHead, select_greedy_head
from tokbench.model.packed_linear import PackedLinear
from tokbench.native_build import NativeLibrary


@pytest.fixture(autouse=True, scope="module")
def screen_available():
    if greedy_head.LIBRARY.functions() is None:
        pytest.skip(f"greedy head kernel unavailable: {greedy_head.LIBRARY.status}")


def _head(weight: torch.Tensor) -> tuple[ScreenedGreedyHead, PackedLinear]:
    linear = nn.Linear(weight.shape[1], weight.shape[0], bias=False)
    linear.weight.data = weight
    full = PackedLinear(linear)
    return ScreenedGreedyHead(linear.weight, full), full


def _full_tokens(full: PackedLinear, hidden: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return full(hidden).argmax(dim=-1)


def test_tiny_model_tokens_match_the_full_head_and_few_logits_are_computed(tiny_model):
    model = tiny_model.model
    assert model.lm_head_path == SCREENED
    gen = torch.Generator().manual_seed(3)
    with torch.inference_mode():
        hidden = model.norm(torch.randn(300, tiny_model.cfg.hidden_size, generator=gen) * 4)
        want = model.elementwise.argmax(model.logits(hidden))
        tokens, checked = model.greedy_head.screen(hidden)
        assert torch.equal(model.greedy(hidden), want)
    assert torch.equal(tokens, want)
    assert int(checked.max()) < tiny_model.cfg.vocab_size // 100  # a screen, not a second full head
    assert int(checked.min()) >= 1


def test_exact_ties_go_to_the_first_index_and_near_ties_to_the_fp32_winner():
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(2000, 64, generator=gen) * 0.05
    x = torch.randn(64, generator=gen)
    # Rows 1500 and 700 copy row 40, which is made the clear winner: an exact three-way tie.
    weight[40] = x / x.norm() * 0.5
    weight[700] = weight[40]
    weight[1500] = weight[40]
    # Row 900: row 40 nudged by a few ulps in one element where x is large: int8 cannot see the
    # difference, fp32 can, and decides whether 900 wins.
    nudged = weight[40].clone()
    big = int(x.abs().argmax())
    nudged[big] = torch.nextafter(nudged[big], nudged[big] + torch.sign(x[big]))
    weight[900] = nudged
    screen, full = _head(weight)
    hidden = x[None].repeat(3, 1)
    hidden[1] *= -1
    assert screen.takes(hidden)
    tokens, checked = screen.screen(hidden)
    want = _full_tokens(full, hidden)
    assert torch.equal(tokens, want)
    logits = full(x[None])[0]
    assert int(tokens[0]) == (900 if logits[900] > logits[40] else 40)  # the tie goes to the first index
    assert int(checked[0]) >= 4  # all four candidates were computed exactly


def test_zero_and_non_finite_rows_follow_torchs_argmax():
    gen = torch.Generator().manual_seed(1)
    screen, full = _head(torch.randn(500, 32, generator=gen))
    hidden = torch.randn(5, 32, generator=gen)
    hidden[0] = 0.0
    hidden[1, 3] = float("nan")
    hidden[2, 5] = float("inf")
    hidden[3, 7] = -float("inf")
    tokens, checked = screen.screen(hidden)
    assert torch.equal(tokens, _full_tokens(full, hidden))
    assert checked[:4].tolist() == [500] * 4  # nothing to bound: every logit computed


def test_rows_with_too_many_possible_winners_go_to_the_full_head():
    gen = torch.Generator().manual_seed(4)
    weight = torch.ones(3000, 40) + torch.randn(3000, 40, generator=gen) * 1e-6  # int8 sees one row 3000 times
    screen, full = _head(weight)
    hidden = torch.randn(6, 40, generator=gen)
    tokens, checked = screen.screen(hidden)
    assert torch.equal(tokens, _full_tokens(full, hidden))
    assert checked.tolist() == [3000] * 6


@pytest.mark.parametrize("dim", [700, 1024, 2048])
def test_long_hidden_sizes_recheck_in_the_full_heads_blocks(dim):
    # oneDNN sums a long hidden size in blocks (512 at 1024, 1024 at 2048, on the machine measured):
    # the probe must find the recheck order that gives the full head's bits, or refuse the screen.
    gen = torch.Generator().manual_seed(dim)
    screen, full = _head(torch.randn(4000, dim, generator=gen) * 0.02)
    hidden = torch.randn(16, dim, generator=gen) * 3
    if screen.fault:
        assert screen.block is None and not screen.takes(hidden)
        return
    assert screen.block is not None
    assert torch.equal(screen(hidden), _full_tokens(full, hidden))


def test_a_weight_edited_after_the_screen_is_built_is_screened_anew():
    gen = torch.Generator().manual_seed(2)
    screen, full = _head(torch.randn(800, 48, generator=gen))
    hidden = torch.randn(20, 48, generator=gen)
    assert torch.equal(screen(hidden), _full_tokens(full, hidden))
    with torch.no_grad():
        full.weight.mul_(-1)  # every token changes
    assert torch.equal(screen(hidden), _full_tokens(full, hidden))
    with torch.no_grad():
        full.weight[5, 0] = float("nan")
    assert not screen.takes(hidden)  # torch's NaN rule needs every logit: the model uses the full head


def test_works_in_and_out_of_inference_mode_in_any_order():
    screen, full = _head(torch.randn(300, 24))
    small, large = torch.randn(2, 24), torch.randn(7, 24)
    with torch.inference_mode():
        assert torch.equal(screen(small), _full_tokens(full, small))  # its scratch is made here...
    assert torch.equal(screen(small), _full_tokens(full, small))  # ...and reused here
    with torch.inference_mode():
        assert torch.equal(screen(large), _full_tokens(full, large))  # grown here...
    assert torch.equal(screen(large), _full_tokens(full, large))


@settings(max_examples=40, deadline=None)
@given(vocab=st.integers(1, 700), dim=st.integers(1, 80), rows=st.integers(1, 9),
       seed=st.integers(0, 2**31 - 1), weight_scale=st.sampled_from([1e-6, 0.02, 1.0, 300.0]),
       heavy=st.booleans())
def test_any_head_and_rows_give_the_full_heads_tokens(vocab, dim, rows, seed, weight_scale, heavy):
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(vocab, dim, generator=gen) * weight_scale
    hidden = torch.randn(rows, dim, generator=gen)
    if heavy:  # one large element per row: int8 keeps it and rounds the rest to few levels
        weight[:, 0] *= 1000
        hidden[:, -1] *= 1000
        weight[vocab // 2] = 0.0
    screen, full = _head(weight)
    if screen.fault:  # torch's int8 product is wrong at this size (hidden size 1 in torch 2.13): never used
        assert not screen.takes(hidden)
        return
    assert torch.equal(screen(hidden), _full_tokens(full, hidden))


def test_an_int8_product_that_sums_wrong_is_never_used(monkeypatch):
    weight = torch.randn(100, 16)
    monkeypatch.setattr(torch, "_int_mm", lambda a, b, out=None: (a.double() @ b.double()).to(torch.int32) + 1)
    screen, why = select_greedy_head(weight, True, lambda x: x @ weight.t())
    assert screen is None and why == "full: torch's int8 matmul gives wrong sums at hidden size 16"
    assert not ScreenedGreedyHead(weight, lambda x: x @ weight.t()).takes(torch.randn(2, 16))


def test_a_recheck_that_does_not_give_the_full_heads_sums_is_never_used():
    weight = torch.randn(100, 16)
    differs = lambda x: torch.nextafter(x @ weight.t(), torch.tensor(float("inf")))  # noqa: E731  one ulp up
    screen, why = select_greedy_head(weight, True, differs)
    assert screen is None and why == "full: the fp32 recheck does not give this build's full-head sums bit for bit"


def test_selection_says_why_the_full_head_runs(monkeypatch, tmp_path):
    weight = torch.randn(100, 16)
    full = _head(weight)[1]
    assert select_greedy_head(weight, True, full)[1] == SCREENED
    assert select_greedy_head(weight.bfloat16(), True, full) == (None, "full: the screen is for fp32 on the CPU")
    assert select_greedy_head(weight, False, full)[1].startswith("full: the linears are not prepacked")
    assert select_greedy_head(weight.t(), True, full)[1] == "full: the LM head weight is not contiguous"
    monkeypatch.setenv(greedy_head.ENV, "0")
    off = NativeLibrary(greedy_head.SOURCE, greedy_head.ENV, lambda lib: lib)
    assert off.functions() is None and off.status == f"disabled ({greedy_head.ENV}=0)"


def test_results_record_how_greedy_tokens_were_found(tiny_model):
    from tokbench.engine.engine import Engine

    assert Engine(tiny_model, 512).describe_backend()["lm_head"] == SCREENED
