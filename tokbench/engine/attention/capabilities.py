"""Which attention backends can serve this run, and why the others cannot.

`auto` takes the first usable one of BACKEND_ORDER; every candidate's verdict is kept so results
can say why (e.g. "flash-attn: paged KV needs blocks of a multiple of 256, got 16").
What the machine has is gathered once into a `Machine`, so the rules are testable on any box.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
from dataclasses import dataclass
from typing import Any, Callable

import torch

from tokbench.engine.attention.flash_backend import PAGE_MULTIPLE
from tokbench.engine.attention.varlen_signature import VarlenSignature

BACKEND_ORDER = ("flash-attn", "torch-varlen", "triton", "torch-sdpa")
HALF = (torch.float16, torch.bfloat16)
INTERPRETED = "usable only when asked for (--attention triton): interpreted on CPU"


@dataclass(frozen=True)
class Needs:
    """What the run asks of attention."""

    device_type: str  # "cuda" or "cpu"
    dtype: torch.dtype
    head_dim: int
    gqa: bool  # fewer KV heads than query heads
    paged_block_size: int | None  # block size of paged KV, None if no strategy pages


@dataclass(frozen=True)
class Machine:
    """What is installed and usable here."""

    cuda: bool
    triton: bool
    triton_interpret: bool  # TRITON_INTERPRET=1: Triton kernels run on CPU (slowly)
    flash_attn: Any = None  # the imported flash_attn module, if importable
    varlen_attn: Callable | None = None  # torch.nn.attention.varlen.varlen_attn, if this torch has it

    @classmethod
    def detect(cls) -> "Machine":
        cuda = torch.cuda.is_available()
        flash = None
        if cuda and importlib.util.find_spec("flash_attn") is not None:
            try:
                flash = importlib.import_module("flash_attn")
            except Exception:  # noqa: BLE001  (a broken build: treated as absent; the reason says so)
                flash = None
        varlen_attn = None
        if cuda:  # CUDA-only, and importing it loads torch._dynamo (about 2 s): skipped on CPU machines
            try:
                from torch.nn.attention.varlen import varlen_attn
            except ImportError:
                varlen_attn = None
        return cls(cuda=cuda, triton=importlib.util.find_spec("triton") is not None,
                   triton_interpret=os.environ.get("TRITON_INTERPRET") == "1", flash_attn=flash,
                   varlen_attn=varlen_attn)


def _has_params(fn: Callable, *names: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return all(n in params for n in names)


def _flash_kernel_limits(needs: Needs) -> str | None:
    """FlashAttention 2's own limits, shared by flash-attn and torch's varlen kernel."""
    if needs.dtype not in HALF:
        return f"FlashAttention kernels take fp16/bf16 only, not {str(needs.dtype).removeprefix('torch.')}"
    if needs.head_dim > 256 or needs.head_dim % 8:
        return f"FlashAttention needs head_dim <= 256 and a multiple of 8 (got {needs.head_dim})"
    if needs.paged_block_size is not None and needs.paged_block_size % PAGE_MULTIPLE:
        return (f"paged KV needs blocks of a multiple of {PAGE_MULTIPLE} tokens in FlashAttention 2, "
                f"got --block-size {needs.paged_block_size}")
    return None


def why_not(name: str, needs: Needs, machine: Machine) -> str | None:
    """None if backend `name` can serve `needs` on `machine`, else the reason in a few words."""
    if name == "torch-sdpa":
        return None
    if name == "triton":
        if not machine.triton:
            return "triton is not installed"
        if needs.device_type != "cuda" and not machine.triton_interpret:
            return "no CUDA device (on CPU Triton runs only in its interpreter: TRITON_INTERPRET=1)"
        if needs.head_dim < 16 or needs.head_dim & (needs.head_dim - 1):
            return f"the Triton kernel needs a power-of-two head_dim >= 16 (got {needs.head_dim})"
        return None
    if needs.device_type != "cuda":
        return "no CUDA device"
    if name == "flash-attn":
        if machine.flash_attn is None:
            return "flash_attn is not importable"
        lib = machine.flash_attn
        if not (_has_params(lib.flash_attn_varlen_func, "block_table")
                and _has_params(lib.flash_attn_with_kvcache, "cache_leftpad", "block_table")):
            return f"flash_attn {getattr(lib, '__version__', '?')} is older than 2.6 (no block_table/cache_leftpad)"
        return _flash_kernel_limits(needs)
    if name == "torch-varlen":
        if machine.varlen_attn is None:
            return f"torch {torch.__version__} has no torch.nn.attention.varlen"
        sig = VarlenSignature.of(machine.varlen_attn)
        if sig is None:
            return "torch's varlen_attn has a signature this version of tokbench does not know"
        return sig.why_not(gqa=needs.gqa, paged=needs.paged_block_size is not None) or _flash_kernel_limits(needs)
    raise KeyError(name)


@dataclass(frozen=True)
class Choice:
    name: str
    requested: str
    verdicts: dict[str, str]  # every backend -> "usable" or why not

    def to_dict(self) -> dict:
        return {"name": self.name, "requested": self.requested, "verdicts": dict(self.verdicts)}


def choose(needs: Needs, machine: Machine, requested: str = "auto") -> Choice:
    """The backend to use; raises ValueError with the reason when `requested` cannot serve."""
    verdicts = {n: why_not(n, needs, machine) or "usable" for n in BACKEND_ORDER}
    if needs.device_type != "cuda" and verdicts["triton"] == "usable":
        verdicts["triton"] = INTERPRETED  # correct but far too slow to be picked by auto
    if requested == "auto":
        name = next(n for n in BACKEND_ORDER if verdicts[n] == "usable")  # torch-sdpa always is
    elif requested not in verdicts:
        raise ValueError(f"unknown (choose from auto, {', '.join(BACKEND_ORDER)})")
    elif verdicts[requested] not in ("usable", INTERPRETED):
        raise ValueError(f"cannot run here: {verdicts[requested]}")
    else:
        name = requested
    return Choice(name=name, requested=requested, verdicts=verdicts)
