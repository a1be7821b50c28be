"""Host memory for CPU tensors: freed memory kept for reuse, and big tensors on huge pages.

- glibc serves large allocations with mmap and gives them back on free, so each step's temporary
  tensors (gathered KV, activations) page-fault afresh: measured here, that made a 5 MB gather 10x
  slower than the copy itself. Raising the mmap and trim thresholds gives CPU tensors what CUDA's
  caching allocator gives GPU tensors: reuse.
- A decode step streams every weight and the rows' KV through the CPU: with 4 KiB pages that is
  one TLB miss every 4 KiB. torch's CPU allocator asks the kernel for transparent huge pages
  (2 MiB) for tensors of 2 MiB and more when THP_MEM_ALLOC_ENABLE=1 (PyTorch's CPU tuning guide
  recommends it; off by default because it can use a little more memory). It reads the variable
  once, at its first allocation, so `ask_for_huge_pages` runs before the model loads; a user's
  own THP_MEM_ALLOC_ENABLE wins. Measured on the 2-core machine: +2% to +10% output throughput on
  high-variance, seven pairs out of seven (docs/engine.md). `huge_pages_status` says, for the
  results, whether it took effect.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from pathlib import Path

THP_ENV = "THP_MEM_ALLOC_ENABLE"
_KERNEL_THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")
_THP_MIN_BYTES = 2 << 20  # torch asks for huge pages from this size on

# mallopt's parameters (glibc's malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4


@functools.lru_cache(maxsize=None)
def glibc() -> ctypes.CDLL | None:
    """This process's C library when it is glibc (the mallopt parameters above are glibc's), else None."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (AttributeError where the C library is not glibc)
        libc.mallopt  # noqa: B018
        return libc
    except (OSError, AttributeError):
        return None


@functools.lru_cache(maxsize=None)
def keep_freed_host_memory(limit_bytes: int = 1 << 30) -> bool:
    """Returns True when the C library accepted the settings (glibc); a no-op elsewhere."""
    libc = glibc()
    if libc is None:
        return False
    return (bool(libc.mallopt(M_MMAP_THRESHOLD, min(limit_bytes, 1 << 30)))
            and bool(libc.mallopt(M_TRIM_THRESHOLD, limit_bytes)))


def ask_for_huge_pages() -> None:
    """Have torch's CPU allocator advise huge pages for big tensors, unless the user set
    THP_MEM_ALLOC_ENABLE. torch reads the variable at its first CPU allocation, so it is set, a
    one-element tensor makes torch read it, and it is removed again: the setting stays with this
    process's torch, not with the environment every later subprocess inherits (the vLLM peer gets
    its own, vllm_backend.DEFAULT_ENV). After torch's first allocation it changes nothing."""
    if not sys.platform.startswith("linux") or THP_ENV in os.environ:
        return
    import torch

    os.environ[THP_ENV] = "1"
    try:
        torch.empty(1)
    finally:
        del os.environ[THP_ENV]


def _kernel_thp_mode() -> str | None:
    """The kernel's transparent-huge-page mode ('always', 'madvise', 'never'), None where unknown."""
    try:
        text = _KERNEL_THP.read_text()
    except OSError:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1:end] if 0 <= start < end else None


def _process_thp_disabled() -> bool:
    """Whether this process opted out of huge pages (prctl PR_SET_THP_DISABLE: 'THP_enabled: 0')."""
    try:
        with open("/proc/self/status") as f:
            return any(line.split() == ["THP_enabled:", "0"] for line in f)
    except OSError:
        return False


def _advised_huge(address: int) -> bool | None:
    """Whether the mapping holding `address` carries MADV_HUGEPAGE ('hg' in /proc/self/smaps), None if unreadable."""
    try:
        with open("/proc/self/smaps") as f:
            inside = False
            for line in f:
                head = line.split(" ", 1)[0]
                if "-" in head and ":" not in head:  # a mapping's header; every other line starts "Key:"
                    low, high = (int(x, 16) for x in head.split("-"))
                    inside = low <= address < high
                elif inside and line.startswith("VmFlags:"):
                    return "hg" in line.split()[1:]
    except (OSError, ValueError):
        return None
    return None


def huge_pages_status() -> str:
    """Whether this process's big CPU tensors are on huge pages, for the results: 'on' (torch advises
    them and the kernel honours advice; the kernel may still fall back to small pages where it finds
    no free 2 MiB), 'on (kernel mode always)', 'off: why' or 'unknown: why'. Decided by probing a
    fresh tensor's mapping; the variable and the kernel's mode only explain an 'off'."""
    if not sys.platform.startswith("linux"):
        return "off: transparent huge pages are a Linux feature"
    mode = _kernel_thp_mode()
    if mode == "never":
        return f"off: the kernel's transparent huge pages are 'never' ({_KERNEL_THP})"
    if _process_thp_disabled():
        return "off: this process has huge pages disabled (prctl PR_SET_THP_DISABLE)"
    if mode == "always":
        return "on (kernel mode always)"
    import torch

    probe = torch.empty(_THP_MIN_BYTES // 4 + 1024, dtype=torch.float32)
    advised = _advised_huge(probe.data_ptr())
    if advised is None:
        return "unknown: /proc/self/smaps unreadable"
    if advised:
        return "on"
    asked = os.environ.get(THP_ENV)
    if asked is not None and asked.strip() != "1":
        return f"off: {THP_ENV}={asked}" + ("" if asked.strip() == "0" else " (torch reads only 0 or 1)")
    return (f"off: torch did not advise huge pages (it had allocated before {THP_ENV} could be set, "
            f"or madvise failed)")
