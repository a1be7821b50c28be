"""The CPU decode-attention kernel (decode_attention.c), compiled at first use and called by ctypes.

Decode rows read their context in place from the KV cache, paged or contiguous, instead of
copying it out first: on a memory-bound CPU the copies cost more than the attention itself
(measured on 2 cores, 128 rows of ~300 keys: 4x faster than grouped SDPA over gathered KV).

The shared object is built with the system C compiler into a cache directory keyed by the
source, the compiler and the CPU, so it is built once per machine. Without a compiler, with a
dtype other than fp32, or with TOKBENCH_NATIVE_DECODE=0, `load()` returns None and the SDPA path
is used instead; `status()` says why, for the results.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("decode_attention.c")
ENV = "TOKBENCH_NATIVE_DECODE"
# Some x86 targets (-march=znver1, say) default to 128-bit vectors; the kernel's 8-float vectors want
# 256. The option exists on x86 compilers only.
_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "i386")
FLAGS = ["-O3", "-march=native", *(["-mprefer-vector-width=256"] if _X86 else []), "-fopenmp", "-fPIC", "-shared"]
_status = "not loaded"


def _cpu_signature() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    fields = [line for line in text.splitlines() if line.startswith(("model name", "flags"))]
    return "\n".join(fields[:2])


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "tokbench"


def _build(compiler: str) -> Path:
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256("\0".join([SOURCE.read_text(), " ".join(FLAGS), version, _cpu_signature()]).encode()).hexdigest()[:16]
    target = _cache_dir() / f"decode_attention-{key}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        cmd = [compiler, *FLAGS, str(SOURCE), "-o", tmp, "-lm"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise OSError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "compiler failed")
        os.replace(tmp, target)  # atomic: concurrent builders never load a half-written file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


@functools.lru_cache(maxsize=None)
def _library():
    global _status
    if os.environ.get(ENV, "1") == "0":
        _status = f"disabled ({ENV}=0)"
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        _status = "no C compiler found"
        return None
    try:
        lib = ctypes.CDLL(str(_build(compiler)))
    except (OSError, subprocess.SubprocessError) as exc:
        _status = f"build failed: {exc}"
        return None
    fn = lib.decode_attention
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    fn.argtypes = [ptr, ptr, ptr, ptr, ptr, i64, i64, ptr, ptr, i64, i64, i64, i64, i64, ctypes.c_float,
                   ctypes.c_int]
    fn.restype = ctypes.c_int
    _status = "native"
    return fn


def load(dtype: torch.dtype, device: torch.device):
    """The kernel for this run, or None (fp32 on CPU only)."""
    if device.type != "cpu" or dtype != torch.float32:
        return None
    return _library()


def status() -> str:
    return _status


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
