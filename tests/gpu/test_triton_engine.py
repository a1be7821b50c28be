"""The whole engine on tokbench's Triton kernels (interpreted on CPU): every strategy's greedy
tokens equal the one-request-at-a-time reference's. A one-layer model keeps the interpreter quick."""

import pytest
import torch

pytest.importorskip("triton", reason="triton is not installed (pip install triton: a CPU-usable wheel)")

from tests.conftest import mixed_requests  # noqa: E402
from tokbench.bench import Engine  # noqa: E402
from tokbench.engine.reference import reference_tokens  # noqa: E402
from tokbench.model import LoadedModel  # noqa: E402
from tokbench.model.config import ModelConfig  # noqa: E402
from tokbench.model.llama import LlamaModel  # noqa: E402
from tokbench.model.random_init import init_random_weights  # noqa: E402
from tokbench.strategy import SchedulerConfig, resolve  # noqa: E402
from tokbench.workload.types import Request  # noqa: E402

VOCAB = 256


@pytest.fixture(scope="module")
def one_layer_model():
    cfg = ModelConfig(name="one-layer", architecture="llama", vocab_size=VOCAB, hidden_size=64,
                      intermediate_size=128, num_layers=1, num_heads=4, num_kv_heads=2, head_dim=16,
                      max_model_len=128)
    model = LlamaModel(cfg)
    init_random_weights(model, 0)
    model.prepare(torch.device("cpu"), torch.float32)
    return LoadedModel(model, cfg, "test:one-layer", torch.float32, torch.device("cpu"))


@pytest.fixture(scope="module")
def requests():
    return [Request(r.request_id, 0.0, tuple(t % VOCAB for t in r.prompt_token_ids), r.max_tokens)
            for r in mixed_requests(4, seed=2, max_prompt=20, max_output=4)]


@pytest.mark.parametrize("strategy", ["static-padded", "continuous", "ffd-packing", "tokenmaxxing"])
def test_triton_engine_matches_reference(one_layer_model, requests, strategy):
    engine = Engine(one_layer_model, 512, "triton")
    assert engine.backend.name == "triton" and not engine.storage.head_major
    # small chunks and blocks: tokenmaxxing mixes decodes with prefill chunks over cached prefixes
    config = SchedulerConfig(kv_budget_tokens=512, max_model_len=128, max_num_seqs=4, max_batch_tokens=32,
                             chunk_size=8, block_size=4)
    rec = engine.serve(resolve(strategy), config, requests)
    assert rec.outputs == {r.request_id: reference_tokens(one_layer_model, r) for r in requests}
