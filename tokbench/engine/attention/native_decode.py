"""The CPU decode-attention kernel (decode_attention.c), compiled at first use and called by ctypes.

Decode rows read their context in place from the KV cache, paged or contiguous, instead of
copying it out first: on a memory-bound CPU the copies cost more than the attention itself
(measured on 2 cores, 128 rows of ~300 keys: 4x faster than grouped SDPA over gathered KV).

Built and cached by tokbench/native_build.py. Without a compiler, with a dtype other than fp32,
or with TOKBENCH_NATIVE_DECODE=0, `load()` returns None and the SDPA path is used instead;
`status()` says why, for the results.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import torch

from tokbench.native_build import NativeLibrary

SOURCE = Path(__file__).with_name("decode_attention.c")
ENV = "TOKBENCH_NATIVE_DECODE"


def _bind(lib: ctypes.CDLL):
    fn = lib.decode_attention
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    fn.argtypes = [ptr, ptr, ptr, ptr, ptr, i64, i64, ptr, ptr, i64, i64, i64, i64, i64, ctypes.c_float,
                   ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


LIBRARY = NativeLibrary(SOURCE, ENV, _bind)


def load(dtype: torch.dtype, device: torch.device):
    """The kernel for this run, or None (fp32 on CPU only)."""
    if device.type != "cpu" or dtype != torch.float32:
        return None
    return LIBRARY.functions()


def status() -> str:
    return LIBRARY.status


def decode_attention(kernel, q: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor,
                     ctx_lens: torch.Tensor, *, table: torch.Tensor | None, bases: torch.Tensor | None,
                     block_size: int) -> torch.Tensor | None:
    """q: [rows, Hq, D] contiguous fp32; caches head-major [Hkv, slots, D]; ctx_lens, table ([rows, width]) and
    bases: int64. Returns [rows, Hq, D], or None when the kernel refuses the shape."""
    rows, hq, d = q.shape
    hkv, slots, _ = k_cache.shape
    out = torch.empty_like(q)
    width = table.shape[1] if table is not None else 0
    addr = lambda t: None if t is None else t.data_ptr()  # noqa: E731
    rc = kernel(q.data_ptr(), k_cache.data_ptr(), v_cache.data_ptr(), out.data_ptr(), addr(table), width, block_size,
                addr(bases), ctx_lens.data_ptr(), rows, hq, hkv, d, slots, d ** -0.5, torch.get_num_threads())
    return out if rc == 0 else None
