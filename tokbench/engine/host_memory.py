"""Keep freed host memory in the process instead of returning it to the OS after every step.

glibc serves large allocations with mmap and gives them back on free, so each step's temporary
tensors (gathered KV, activations) page-fault afresh: measured here, that made a 5 MB gather 10x
slower than the copy itself. Raising the mmap and trim thresholds gives CPU tensors what CUDA's
caching allocator gives GPU tensors: reuse.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@functools.lru_cache(maxsize=None)
def keep_freed_host_memory(limit_bytes: int = 1 << 30) -> bool:
    """Returns True when the C library accepted the settings (glibc); a no-op elsewhere."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, min(limit_bytes, 1 << 30))) and bool(mallopt(_M_TRIM_THRESHOLD, limit_bytes))
