"""oneDNN's primitive cache, made large enough for one benchmark's shapes.

oneDNN, which runs the CPU linear layers (model/packed_linear.py), builds a kernel for each new
input shape (about 0.4 ms on the 2-core development machine: four linears at a new row count took
6.1 ms, the same shapes again 4.1 ms) and keeps the last 1,024 it built. Every distinct token
count of a step is a new shape for each linear, and four strategies' rounds of an online workload
use about a thousand distinct problems: with the default cache, a run of high-variance-online with
`--repeats 2` built 1,709 primitives for 1,044 distinct problems (665 rebuilt after eviction,
counted with ONEDNN_VERBOSE=profile_create). A strategy then paid for the shapes the strategy
before it evicted: one strategy's time depended on which ran before it.

oneDNN reads ONEDNN_PRIMITIVE_CACHE_CAPACITY once, when it first builds a primitive; the model's
linears are packed (a oneDNN reorder) when it loads, so `ask_for_primitive_cache` runs first in
`load_model`. A value the user set wins. The variable is left set: oneDNN may build its first
primitive later (no packed linears in bf16), and the vLLM peer's subprocess gets the same setting.
A cached primitive holds its generated code (about 0.4 GB a thousand in a test of large shapes), and
the cache only fills with shapes a run uses: high-variance with `--repeats 2` peaked at 1.75 GB
resident with 4,096, 1.72 GB with the default.
"""

from __future__ import annotations

import os

ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
CAPACITY = 4096  # several thousand distinct step shapes: sweeps of knobs, all strategies, online traces


def ask_for_primitive_cache() -> None:
    """Set oneDNN's cache capacity for this process unless the user has (before oneDNN's first primitive)."""
    if os.environ.get(ENV, "").strip() == "":
        os.environ[ENV] = str(CAPACITY)


def primitive_cache_status() -> str:
    """For the results: the capacity asked for, and by whom."""
    value = os.environ.get(ENV, "").strip()
    if value == str(CAPACITY):
        return f"{CAPACITY}"
    return f"{value} (set by the user)" if value else "1024 (oneDNN's default)"
