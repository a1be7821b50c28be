"""GPU-path tests. Without CUDA, Triton kernels run in its interpreter: it must be switched on
before triton is first imported, so it is set here, ahead of every module of this directory."""

import os

import pytest
import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

from tokbench.engine.policy import SchedulerConfig  # noqa: E402
from tokbench.model import LoadedModel  # noqa: E402
from tokbench.model.config import ModelConfig  # noqa: E402
from tokbench.model.llama import LlamaModel  # noqa: E402
from tokbench.model.random_init import init_random_weights  # noqa: E402
from tokbench.workload.types import Request  # noqa: E402

VOCAB = 256
# Small chunks and blocks: tokenmaxxing mixes decodes with prefill chunks over cached prefixes.
SMALL_KNOBS = SchedulerConfig(kv_budget_tokens=512, max_model_len=128, max_num_seqs=4, max_batch_tokens=32,
                              block_size=4, knobs={"chunk_size": 8})


@pytest.fixture(scope="session")
def one_layer_model():
    """A one-layer GQA model: whole-engine runs on interpreted Triton kernels stay in seconds."""
    cfg = ModelConfig(name="one-layer", architecture="llama", vocab_size=VOCAB, hidden_size=64,
                      intermediate_size=128, num_layers=1, num_heads=4, num_kv_heads=2, head_dim=16,
                      max_model_len=128)
    model = LlamaModel(cfg)
    init_random_weights(model, 0)
    model.prepare(torch.device("cpu"), torch.float32)
    return LoadedModel(model, cfg, "test:one-layer", torch.float32, torch.device("cpu"))


@pytest.fixture(scope="session")
def engine_requests():
    from tests.conftest import mixed_requests

    return [Request(r.request_id, 0.0, tuple(t % VOCAB for t in r.prompt_token_ids), r.max_tokens)
            for r in mixed_requests(4, seed=2, max_prompt=20, max_output=4)]


@pytest.fixture(scope="session")
def engine_reference(one_layer_model, engine_requests):
    from tokbench.engine.reference import reference_tokens

    return {r.request_id: reference_tokens(one_layer_model, r) for r in engine_requests}
