"""Memory for a long simulation's tables: reuse freed pages instead of faulting fresh ones in.

A 100,000-request simulation builds tables of tens of millions of rows through temporaries of
hundreds of megabytes. By default glibc maps every allocation over 32 MiB afresh and unmaps it when
freed, and numpy asks the kernel to back large arrays with huge pages; on the 2-core virtual machine
of docs/results a fresh 640 MB copy took 1.5 s (0.6 s without the huge-page request, 0.08 s into
memory already touched): page faults, not arithmetic, were most of the table work. Within
`reused_memory()` glibc serves large blocks from its heap and keeps them when freed, and numpy makes
no huge-page request; on leaving, both are put back and the heap is trimmed. Elsewhere (not glibc,
or a numpy without the switch) nothing changes.
"""

from __future__ import annotations

from contextlib import contextmanager

from tokbench.engine.host_memory import M_MMAP_MAX, M_TRIM_THRESHOLD, glibc

DEFAULT_TRIM_THRESHOLD, DEFAULT_MMAP_MAX = 128 * 1024, 65536
KEEP_FREED = 2**31 - 1  # bytes free at the heap's top before glibc gives them back (mallopt's int: the most)


def _hugepage_switch():
    """numpy's private get/set of its huge-page request (numpy 1.x and 2.x), or None."""
    import numpy as np

    for where in ("_core.multiarray", "core.multiarray"):
        module = np
        try:
            for part in where.split("."):
                module = getattr(module, part)
            return module._get_madvise_hugepage, module._set_madvise_hugepage
        except AttributeError:
            continue
    return None


@contextmanager
def reused_memory():
    libc, switch = glibc(), _hugepage_switch()
    hugepages = switch[0]() if switch else None
    if libc is not None:
        libc.mallopt(M_MMAP_MAX, 0)
        libc.mallopt(M_TRIM_THRESHOLD, KEEP_FREED)
    if switch:
        switch[1](False)
    try:
        yield
    finally:
        if switch:
            switch[1](hugepages)
        if libc is not None:
            libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
            libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
            libc.malloc_trim(0)
