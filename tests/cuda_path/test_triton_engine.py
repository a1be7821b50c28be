"""The whole engine on tokbench's Triton kernels (interpreted on CPU): every strategy's greedy
tokens equal the one-request-at-a-time reference's. A one-layer model keeps the interpreter quick."""

import pytest

pytest.importorskip("triton", reason="triton is not installed (pip install triton: a CPU-usable wheel)")

from tests.cuda_path.conftest import SMALL_KNOBS  # noqa: E402
from tokbench.engine.engine import Engine  # noqa: E402
from tokbench.benchmark.strategy_registry import resolve  # noqa: E402


@pytest.mark.parametrize("strategy", ["static-padded", "continuous", "ffd-packing", "tokenmaxxing"])
def test_triton_engine_matches_reference(one_layer_model, engine_requests, engine_reference, strategy):
    engine = Engine(one_layer_model, SMALL_KNOBS.kv_budget_tokens, "triton")
    assert engine.backend.name == "triton" and not engine.storage.head_major
    rec = engine.serve(resolve(strategy), SMALL_KNOBS, engine_requests)
    assert rec.outputs == engine_reference
