"""benchmarks/host_overhead.py still drives the real loop, strategies and runner on every input path.

A smoke test of the benchmark's plumbing (it reaches into the runner and the CUDA-graph staging),
not of its figures: each strategy must reach decode steps with all N sequences running.
"""

import pytest

from tests.conftest import load_benchmark
from tokbench.benchmark.strategy_registry import builtin_names


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("host_overhead")


@pytest.mark.parametrize("path", ["cpu", "gpu-eager", "gpu-graphs"])
def test_every_strategy_reaches_decode_steps_with_all_sequences_running(bench, path):
    if path == "gpu-eager":
        pytest.importorskip("triton", reason="the token-major kernel path binds through the Triton backend")
    for name in builtin_names():
        rows = bench.timed_run(name, 3, path, seed=0)
        assert len(rows) >= bench.OUTPUT - 2, name  # (almost) every output token is a decode step of 3 rows
        assert all(plan >= 0 and inputs > 0 and rest >= 0 for plan, inputs, rest in rows), name
