"""benchmarks/engine_profile.py still times the functions the engine calls.

A smoke test of the benchmark's plumbing, not of its figures: a row that times a function the engine
no longer calls reads zero, and the time moves silently into the "host" rest (the LM head's screen
did, once, when the model's call to it changed name).
"""

import pytest

from tests.conftest import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("engine_profile")


def test_every_kernel_row_times_calls_the_engine_makes(bench):
    p = bench.profile("quick", "tokenmaxxing", repeats=1)
    assert p.out_tokens > 0 and p.wall > 0
    for row in ("linear layers", "attention: decode rows", "attention: prefill chunks", "KV cache writes",
                "host: step inputs", "host: strategy plan/step_done"):
        assert p.rows.get(row, 0.0) > 0, row
    if p.lm_head_path.startswith("int8-screen"):
        assert p.rows.get("LM head: int8 screen + recheck", 0.0) > 0
        assert p.rows.get("LM head: full", 0.0) == 0  # the quick workload's rows are all finite: none falls back
    else:
        assert p.rows.get("LM head: full", 0.0) > 0
    assert all(seconds >= 0 for seconds in p.rows.values())  # the host rest is negative where rows overlap


def test_a_method_the_engine_no_longer_has_is_an_error(bench):
    class Kernel:
        def run(self):
            return 1

    with pytest.raises(AttributeError, match="no screen"), bench.wrapped([(Kernel, "screen", "a row")]):
        pass
