"""Greedy tokens on the CPU without the full fp32 LM head: an int8 screen, then an exact fp32 recheck.

Greedy decoding needs each row's largest logit, not the logits. The LM head is 18% of a tiny-model
step on two cores (docs/engine.md), and in fp32 it runs at the cores' peak; an int8 product of the
same shape takes a quarter of the time or less (`torch._int_mm`, exact integer sums). The C kernel
(greedy_head.c) bounds how far each int8 logit can be from the fp32 one (Cauchy-Schwarz on the
quantisation errors, plus the fp32 dot's own rounding), computes in fp32 only the vocabulary rows
whose bound reaches the best lower bound — a handful — and takes the first largest, as argmax does.
The recheck sums in the order oneDNN's fp32 matmul does (probed once per head), so the token is the
one the full prepacked head gives, bit for bit in the logits that decide it. Rows the screen proves
too little for (non-finite values, or more than 1/32 of the vocabulary still possible) go to the
full head.

Used on CPU fp32 with the prepacked linears (whose bits the recheck gives) when torch has
`_int_mm` and a C compiler is present; TOKBENCH_LM_HEAD_SCREEN=0 turns it off. The choice is
recorded as `lm_head`. Only greedy tokens take this path: `LlamaModel.logits` is the full head.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from pathlib import Path

import torch

from tokbench.model.packed_linear import weight_key
from tokbench.native_build import NativeLibrary

SOURCE = Path(__file__).with_name("greedy_head.c")
ENV = "TOKBENCH_LM_HEAD_SCREEN"
SCREENED = "int8-screen+fp32-recheck"
_STATS = 4  # per row: scale, |x~|, |x - x~|, |x| (greedy_head.c)


def _bind(lib: ctypes.CDLL):
    i64, ptr, i32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
    lib.quantize_rows.argtypes, lib.quantize_rows.restype = [ptr, ptr, ptr, i64, i64], None
    lib.recheck_logits.argtypes, lib.recheck_logits.restype = [ptr, ptr, ptr, ptr, i64, i64, i64], None
    lib.screened_argmax.argtypes = [ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, i64, i64, i64, i64, i64, i32]
    lib.screened_argmax.restype = None
    return lib


LIBRARY = NativeLibrary(SOURCE, ENV, _bind)


def _round_up(values: torch.Tensor) -> torch.Tensor:
    """float64 -> float32, never below the exact value (the bounds must not shrink)."""
    single = values.float()
    return torch.where(single.double() < values, torch.nextafter(single, torch.full_like(single, math.inf)), single)


class ScreenedGreedyHead:
    """Greedy tokens of hidden rows against an LM head weight [vocab, hidden] (shared, not copied).

    The int8 copy and the per-row bounds are remade when the weight changes (as PackedLinear's
    copy is). Holds tensors and the full head (a module of the same model), so a model holding it
    can be deep-copied."""

    def __init__(self, weight: torch.Tensor, full: Callable[[torch.Tensor], torch.Tensor]):
        """`full`: the full head (hidden rows -> logits), whose tokens these must be."""
        self.weight = weight
        self.full = full
        # A row with more possible winners than this goes to the full head: a recheck is a chain of
        # fused multiply-adds (eight side by side), the full head a vectorised matmul, far cheaper per logit.
        self.most_checked = max(64, weight.shape[0] // 32)
        # The recheck's block size (None: no order found that gives the full head's bits), and
        # None or why the screen cannot be trusted here: then the model uses the full head.
        self.block = _recheck_block(weight, full)
        self.fault = _int8_matmul_fault(weight.shape[1]) or (
            None if self.block else "the fp32 recheck does not give this build's full-head sums bit for bit")
        self._key: tuple | None = None
        self._products = torch.empty(0, dtype=torch.int32)  # reused: a fresh one per step costs page faults
        self._finite = False  # a weight with NaN or inf goes to the full head: torch's argmax rules need every logit

    def _quantised(self) -> None:
        key = weight_key(self.weight)
        if key == self._key:
            return
        w = self.weight.detach()
        self._key, self._finite = key, bool(torch.isfinite(w).all())
        amax = w.abs().amax(dim=1)
        scale = torch.where(amax > 0, amax / 127, torch.ones_like(amax))
        q = torch.round(w / scale[:, None]).clamp_(-127, 127).to(torch.int8)
        w64 = w.double()
        self._q_t = q.t()  # [hidden, vocab] as _int_mm wants it; a transposed view is as fast as a copy
        self._scale = scale.contiguous()
        self._err = _round_up((w64 - q.double() * scale.double()[:, None]).norm(dim=1))
        self._norm = _round_up(w64.norm(dim=1))

    def takes(self, hidden: torch.Tensor) -> bool:
        if self.fault:
            return False
        self._quantised()
        return (self._finite and hidden.dim() == 2 and hidden.dtype is torch.float32 and hidden.is_cpu
                and hidden.shape[1] == self.weight.shape[1])

    def screen(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(greedy token per row, how many logits each row computed in fp32); for rows `takes`."""
        self._quantised()
        return self._screen(hidden)

    def _screen(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = hidden.contiguous()
        w = self.weight.detach()
        rows, dim = x.shape
        lib = LIBRARY.functions()
        q = torch.empty(rows, dim, dtype=torch.int8)
        stats = torch.empty(rows, _STATS)
        lib.quantize_rows(x.data_ptr(), q.data_ptr(), stats.data_ptr(), rows, dim)
        vocab = w.shape[0]
        if self._products.numel() < rows * vocab:
            # Grown to twice what is needed: a run's row counts climb one at a time, and growing to
            # each new count pages in fresh scratch at every new high (measured: 0.5 s over calls of
            # 1 to 256 rows, 0.2 s doubling). Written both in and out of inference mode: a normal tensor.
            with torch.inference_mode(False):
                self._products = torch.empty(2 * rows * vocab, dtype=torch.int32)
        acc = torch._int_mm(q, self._q_t, out=self._products[: rows * vocab].view(rows, vocab))
        tokens = torch.empty(rows, dtype=torch.long)
        checked = torch.empty(rows, dtype=torch.long)
        lib.screened_argmax(acc.data_ptr(), stats.data_ptr(), self._scale.data_ptr(), self._err.data_ptr(),
                            self._norm.data_ptr(), x.data_ptr(), w.data_ptr(), tokens.data_ptr(),
                            checked.data_ptr(), rows, vocab, dim, self.block, self.most_checked,
                            torch.get_num_threads())
        unproven = (tokens < 0).nonzero().flatten()
        if len(unproven):  # non-finite rows, or too many possible winners: the full head decides
            with torch.inference_mode():
                tokens[unproven] = self.full(x.index_select(0, unproven)).argmax(dim=-1)
            checked[unproven] = vocab
        return tokens, checked

    def __call__(self, hidden: torch.Tensor) -> torch.Tensor | None:
        """Greedy tokens of `hidden`, or None where the screen does not take it (the caller runs the
        full head). The model's one call per step: the weight is checked for changes once."""
        return self._screen(hidden)[0] if self.takes(hidden) else None


def _int8_matmul_fault(dim: int) -> str | None:
    """None when torch's CPU int8 matmul sums exactly at this hidden size, else what is wrong.

    Checked, not assumed: torch 2.13's CPU `_int_mm` returns wrong sums when the inner size is 1."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randint(-127, 128, (3, dim), dtype=torch.int8, generator=gen)
    b = torch.randint(-127, 128, (67, dim), dtype=torch.int8, generator=gen)
    try:
        got = torch._int_mm(a, b.t())
    except (AttributeError, RuntimeError) as exc:
        return f"this torch has no CPU int8 matmul ({str(exc).splitlines()[0][:80]})"
    exact = (a.double() @ b.double().t()).to(torch.int32)  # exact: |sums| < 2^53
    return None if torch.equal(got, exact) else f"torch's int8 matmul gives wrong sums at hidden size {dim}"


def _recheck_block(weight: torch.Tensor, full: Callable[[torch.Tensor], torch.Tensor]) -> int | None:
    """The block size at which the recheck gives the full head's logits bit for bit, or None.

    Probed, not assumed: oneDNN's fp32 matmul sums the hidden size in one chain up to 512 and in
    blocks beyond (512 at 1024, 1024 at 2048 and 4096, measured); a build that sums otherwise would
    still give every strategy the same tokens, but not always the full head's (or the reference's)
    on a near-tie, so it gets the full head."""
    vocab, dim = weight.shape
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, dim, generator=gen)
    idx = torch.arange(0, vocab, max(1, vocab // 1024), dtype=torch.int32)
    with torch.inference_mode():
        want = full(x)[:, idx]
    got = torch.empty(len(idx))
    w = weight.detach()
    for block in dict.fromkeys([dim, *(b for b in (1024, 512, 2048, 256, 768, 384, 128) if b < dim)]):
        for row in range(3):
            LIBRARY.functions().recheck_logits(x[row].data_ptr(), w.data_ptr(), idx.data_ptr(), got.data_ptr(),
                                               len(idx), dim, block)
            if not torch.equal(got, want[row]):
                break
        else:
            return block
    return None


def unavailable_reason(weight: torch.Tensor, packed: bool) -> str | None:
    """None when the screen can serve this LM head weight, else why not (for the results)."""
    if weight.device.type != "cpu" or weight.dtype != torch.float32:
        return "full: the screen is for fp32 on the CPU"
    if not packed:
        return "full: the linears are not prepacked (the recheck gives the prepacked head's bits)"
    if not weight.is_contiguous():
        return "full: the LM head weight is not contiguous"
    if LIBRARY.functions() is None:
        return f"full: {LIBRARY.status}"
    return None


def select_greedy_head(weight: torch.Tensor, packed: bool,
                       full: Callable[[torch.Tensor], torch.Tensor]) -> tuple[ScreenedGreedyHead | None, str]:
    """(the screen, or None for the full head `full`; what the results record as `lm_head`)."""
    why_not = unavailable_reason(weight, packed)
    if why_not:
        return None, why_not
    head = ScreenedGreedyHead(weight, full)
    return (None, f"full: {head.fault}") if head.fault else (head, SCREENED)
