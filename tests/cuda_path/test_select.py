"""Which backend `--attention auto` takes, and the reasons it records, on machines described by hand."""

import types

import pytest
import torch

from tests.cuda_path import fake_kernels as fake
from tokbench.engine.attention.capabilities import Machine, Needs, choose
from tokbench.engine.attention.select import select_backend
from tokbench.engine.attention.varlen_signature import VarlenSignature
from tokbench.errors import UserError
from tokbench.model.presets import PRESETS

H100_FULL = Machine(cuda=True, triton=True, triton_interpret=False, flash_attn=fake.fake_flash_attn,
                    varlen_attn=fake.varlen_attn_2_12)


def needs(**kw):
    base = dict(device_type="cuda", dtype=torch.bfloat16, head_dim=128, gqa=True, paged_block_size=256)
    return Needs(**{**base, **kw})


def test_cpu_takes_sdpa_and_says_why_not_the_others():
    cpu = Machine(cuda=False, triton=True, triton_interpret=False, varlen_attn=fake.varlen_attn_2_12)
    choice = choose(needs(device_type="cpu", dtype=torch.float32), cpu)
    assert choice.name == "torch-sdpa"
    assert choice.verdicts["flash-attn"] == "no CUDA device"
    assert "TRITON_INTERPRET" in choice.verdicts["triton"]


def test_interpreted_triton_only_when_asked_for():
    cpu = Machine(cuda=False, triton=True, triton_interpret=True)
    assert choose(needs(device_type="cpu"), cpu).name == "torch-sdpa"
    assert choose(needs(device_type="cpu"), cpu, "triton").name == "triton"


def test_flash_attn_first_when_it_can_page():
    assert choose(needs(), H100_FULL).name == "flash-attn"


def test_small_blocks_rule_out_flash_kernels_and_fall_to_triton():
    choice = choose(needs(paged_block_size=16), H100_FULL)
    assert choice.name == "triton"
    assert "multiple of 256" in choice.verdicts["flash-attn"]
    assert "--block-size 16" in choice.verdicts["torch-varlen"]


def test_torch_varlen_without_flash_attn_when_nothing_pages():
    machine = Machine(cuda=True, triton=True, triton_interpret=False, varlen_attn=fake.varlen_attn_2_12)
    choice = choose(needs(paged_block_size=None), machine)
    assert choice.name == "torch-varlen"
    assert choice.verdicts["flash-attn"] == "flash_attn is not importable"


def test_fp32_goes_to_triton():
    choice = choose(needs(dtype=torch.float32), H100_FULL)
    assert choice.name == "triton"
    assert "fp16/bf16 only" in choice.verdicts["flash-attn"]


@pytest.mark.parametrize("fn,why", [(fake.varlen_attn_2_9, "seqused_k"), (fake.varlen_attn_2_10, "seqused_k")])
def test_old_torch_varlen_is_refused_with_the_reason(fn, why):
    machine = Machine(cuda=True, triton=False, triton_interpret=False, varlen_attn=fn)
    choice = choose(needs(paged_block_size=None), machine)
    assert choice.name == "torch-sdpa" and why in choice.verdicts["torch-varlen"]


def test_flash_attn_older_than_2_6_is_refused():
    old = types.SimpleNamespace(__version__="2.5.9",
                                flash_attn_varlen_func=lambda q, k, v, cu_seqlens_q, cu_seqlens_k, causal=False: q,
                                flash_attn_with_kvcache=lambda q, k_cache, v_cache, block_table=None: q)
    machine = Machine(cuda=True, triton=True, triton_interpret=False, flash_attn=old)
    choice = choose(needs(), machine)
    assert choice.name == "triton" and "older than 2.6" in choice.verdicts["flash-attn"]


def test_triton_needs_power_of_two_head_dim():
    choice = choose(needs(head_dim=96, dtype=torch.float32), H100_FULL)
    assert choice.name == "torch-sdpa" and "power-of-two" in choice.verdicts["triton"]


def test_signature_detection_across_releases():
    assert VarlenSignature.of(fake.varlen_attn_2_9) == VarlenSignature("is_causal", False, False, False, False)
    assert VarlenSignature.of(fake.varlen_attn_2_10) == VarlenSignature("window_size", True, False, False, False)
    assert VarlenSignature.of(fake.varlen_attn_2_12) == VarlenSignature("window_size", True, True, True, True)
    assert VarlenSignature.of(lambda q, k, v: q) is None
    assert VarlenSignature.of(fake.varlen_attn_2_9).causal_kwargs() == {"is_causal": True}
    assert VarlenSignature.of(fake.varlen_attn_2_12).causal_kwargs() == {"window_size": (-1, 0)}


def test_this_torch_is_recognised():
    from torch.nn.attention.varlen import varlen_attn

    sig = VarlenSignature.of(varlen_attn)
    assert sig is not None and sig.why_not(gqa=True, paged=True) is None  # torch 2.13 pages in place


def test_select_backend_explicit_requests():
    cpu = torch.device("cpu")
    cfg = PRESETS["tiny"]
    backend = select_backend(cpu, "auto", cfg=cfg)
    assert backend.name == "torch-sdpa" and backend.choice.to_dict()["verdicts"]["torch-varlen"] == "no CUDA device"
    with pytest.raises(UserError, match="--attention flash-attn: cannot run here: no CUDA device"):
        select_backend(cpu, "flash-attn", cfg=cfg)
    with pytest.raises(UserError, match="unknown"):
        select_backend(cpu, "xformers", cfg=cfg)
    machine = H100_FULL
    assert select_backend(torch.device("cuda"), "auto", dtype=torch.bfloat16, cfg=PRESETS["llama-8b"],
                          paged_block_size=256, machine=machine).name == "flash-attn"
