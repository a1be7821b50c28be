"""oneDNN's primitive cache: tokbench asks for a larger one before the model's first oneDNN call, so
a run's step shapes stay built; a capacity the user set wins. Checked with oneDNN's own log of
cache hits and misses (ONEDNN_VERBOSE=profile_create), in fresh interpreters (oneDNN reads the
capacity once)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from tokbench.model import onednn_cache
from tokbench.model.packed_linear import unavailable_reason

pytestmark = pytest.mark.skipif(unavailable_reason(torch.device("cpu"), torch.float32) is not None,
                                reason="this torch build has no oneDNN linear ops")

SHAPES = 1100  # distinct input shapes, more than oneDNN's default cache of 1,024 holds

# Load the model (which asks for the cache), build SHAPES primitives, then run the first shape again.
SCRIPT = f"""
import os, sys, torch
from tokbench.model.loader import load_model
from tokbench.model.onednn_cache import primitive_cache_status
load_model("tiny", dtype=torch.float32, device=torch.device("cpu"))
weight = torch.ops.mkldnn._reorder_linear_weight(torch.randn(8, 8))
for rows in [*range(1, {SHAPES} + 1), 1]:
    torch.ops.mkldnn._linear_pointwise(torch.randn(rows, 8), weight, None, "none", [], "")
sys.stdout.flush()
print("status:", primitive_cache_status())
print("env:", os.environ.get("{onednn_cache.ENV}"))
"""


def _fresh_process(capacity: str | None) -> tuple[str, str, str]:
    env = {k: v for k, v in os.environ.items() if k != onednn_cache.ENV}
    env["ONEDNN_VERBOSE"] = "profile_create"
    if capacity is not None:
        env[onednn_cache.ENV] = capacity
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True,
                         timeout=300).stdout.splitlines()
    # The last creation logged is the first shape's second use: found in the cache, or rebuilt.
    first_shape = [line for line in out if ",inner_product," in line and "mb1ic8oc8" in line]
    status = next(line for line in out if line.startswith("status:")).split(": ", 1)[1]
    env_left = next(line for line in out if line.startswith("env:")).split(": ", 1)[1]
    return first_shape[-1].split(",")[3], status, env_left


def test_the_first_shape_is_still_cached_after_more_shapes_than_the_default_holds():
    second_use, status, env_left = _fresh_process(None)
    assert second_use == "create:cache_hit"
    assert status == str(onednn_cache.CAPACITY) and env_left == str(onednn_cache.CAPACITY)


def test_a_capacity_the_user_set_wins():
    second_use, status, env_left = _fresh_process("1024")
    assert second_use == "create:cache_miss"  # evicted: the user's 1,024 was kept
    assert status == "1024 (set by the user)" and env_left == "1024"
