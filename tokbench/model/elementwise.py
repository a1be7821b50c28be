"""The model's elementwise work (residual add + RMSNorm, RoPE, SiLU·mul, greedy argmax), two ways.

- `NativeElementwise`: the fused C kernels of elementwise.c, on CPU fp32: each is one pass over
  memory and one ctypes call, where torch runs 3-8 ops (and as many passes, and as many
  dispatches: on a decode step of a few rows the dispatches are most of the cost).
- `TorchElementwise`: the same formulas as plain torch ops, everywhere else (CUDA, bf16/fp16, no C
  compiler, TOKBENCH_NATIVE_ELEMENTWISE=0). On CUDA, decode steps replay as CUDA graphs, which
  already take the per-op launches out of the step.

`select_elementwise` picks one when the model is prepared; `status()` says which ran and why, for
the results. Both give every row a result that depends on that row alone (no batch effects).
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch
import torch.nn.functional as F

from tokbench.model.rope import RotaryTable
from tokbench.native_build import X86, NativeLibrary

SOURCE = Path(__file__).with_name("elementwise.c")
ENV = "TOKBENCH_NATIVE_ELEMENTWISE"


class TorchElementwise:
    name = "torch"

    def add_rms_norm(self, x: torch.Tensor, delta: torch.Tensor | None, norm) -> tuple[torch.Tensor, torch.Tensor]:
        """(x + delta, norm(x + delta)); delta None: (x, norm(x))."""
        if delta is not None:
            x = x + delta
        return x, norm(x)

    def rotation(self, table: RotaryTable, positions: torch.Tensor):
        """What rotates a step's q|k heads: looked up once per step, applied in every layer."""
        return table.at(positions)

    def silu_mul(self, gate_up: torch.Tensor) -> torch.Tensor:
        """[T, 2 * inter] (gate | up) -> silu(gate) * up, [T, inter]."""
        gate, up = gate_up.chunk(2, dim=-1)
        return F.silu(gate) * up

    def argmax(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.argmax(dim=-1)


def _bind(lib: ctypes.CDLL):
    i64, ptr, f32, i32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_float, ctypes.c_int
    signatures = {
        "add_rms_norm": [ptr, ptr, ptr, ptr, i64, i64, f32, i32],
        "rope": [ptr, i64, ptr, ptr, ptr, i64, i64, i64, i32],
        "silu_mul": [ptr, ptr, i64, i64, i32],
        "argmax_rows": [ptr, ptr, i64, i64, i32],
    }
    for name, args in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, None
    return lib


# fp-contract off: no fused multiply-adds, so the rounding is torch's (see elementwise.c). Wide
# vectors where the CPU has them: SiLU's exp is compute-bound (measured with AVX-512, 36 x 704:
# 13 us instead of 18 us with 256-bit vectors).
LIBRARY = NativeLibrary(SOURCE, ENV, _bind,
                        extra_flags=("-ffp-contract=off", *(("-mprefer-vector-width=512",) if X86 else ())))


def _dense_fp32_cpu(*tensors: torch.Tensor) -> bool:
    # Checked on every call (a few hundred ns): a strided or foreign tensor must never reach the C code.
    return all(t.dtype is torch.float32 and t.is_cpu and t.is_contiguous() for t in tensors)


class NativeRotation:
    """Rotation by the C kernel: positions and the whole tables, no per-step cos/sin gather."""

    def __init__(self, table: RotaryTable, positions: torch.Tensor):
        self.table = table
        self.positions = positions.to(torch.long).contiguous()
        if self.positions.numel():  # the C code reads table rows by position: refuse what torch's lookup would
            low, high = (int(v) for v in torch.aminmax(self.positions))
            if low < 0 or high >= table.cos.shape[0]:
                raise IndexError(f"positions {low}..{high} outside the rotary table's {table.cos.shape[0]} rows")

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """x: [T, heads, head_dim], heads and head_dim dense (rows may be strided); rotated in place."""
        t, heads, dim = x.shape
        if x.dtype is not torch.float32 or not x.is_cpu or x.stride(2) != 1 or x.stride(1) != dim:
            return self.table.at(self.positions).apply(x)
        lib = LIBRARY.functions()
        lib.rope(x.data_ptr(), x.stride(0), self.positions.data_ptr(), self.table.cos.data_ptr(),
                 self.table.sin.data_ptr(), t, heads, dim, torch.get_num_threads())
        return x


class NativeElementwise(TorchElementwise):
    """The fused kernels; any call they do not take (a non-dense or non-fp32 tensor) goes to torch.

    Holds no ctypes state of its own, so a model that holds it can still be deep-copied."""

    name = "native"

    def add_rms_norm(self, x: torch.Tensor, delta: torch.Tensor | None, norm) -> tuple[torch.Tensor, torch.Tensor]:
        """As TorchElementwise's, but x is updated in place (it is the model's own residual stream)."""
        dense = (x, norm.weight) if delta is None else (x, delta, norm.weight)
        if x.dim() != 2 or not _dense_fp32_cpu(*dense):
            return super().add_rms_norm(x, delta, norm)
        out = torch.empty_like(x)
        LIBRARY.functions().add_rms_norm(x.data_ptr(), None if delta is None else delta.data_ptr(),
                                         norm.weight.data_ptr(), out.data_ptr(), x.shape[0], x.shape[1],
                                         norm.eps, torch.get_num_threads())
        return x, out

    def rotation(self, table: RotaryTable, positions: torch.Tensor):
        if table.cos.dtype != torch.float32 or table.cos.device.type != "cpu":
            return table.at(positions)
        return NativeRotation(table, positions)

    def silu_mul(self, gate_up: torch.Tensor) -> torch.Tensor:
        if gate_up.dim() != 2 or not _dense_fp32_cpu(gate_up):
            return super().silu_mul(gate_up)
        rows, inter = gate_up.shape[0], gate_up.shape[1] // 2
        out = torch.empty(rows, inter, dtype=gate_up.dtype)
        LIBRARY.functions().silu_mul(gate_up.data_ptr(), out.data_ptr(), rows, inter, torch.get_num_threads())
        return out

    def argmax(self, logits: torch.Tensor) -> torch.Tensor:
        if logits.dim() != 2 or logits.shape[1] == 0 or not _dense_fp32_cpu(logits):
            return super().argmax(logits)
        out = torch.empty(logits.shape[0], dtype=torch.long)
        LIBRARY.functions().argmax_rows(logits.data_ptr(), out.data_ptr(), logits.shape[0], logits.shape[1],
                                        torch.get_num_threads())
        return out


def select_elementwise(device: torch.device, dtype: torch.dtype) -> tuple[TorchElementwise, str]:
    """(the kernels for a model on device/dtype, what the results record: 'native' or 'torch: why')."""
    if device.type != "cpu" or dtype != torch.float32:
        return TorchElementwise(), "torch: native kernels are for fp32 on the CPU"
    if LIBRARY.functions() is None:
        return TorchElementwise(), f"torch: {LIBRARY.status}"
    return NativeElementwise(), "native"

