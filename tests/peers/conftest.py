"""A small random model exported as a Hugging Face directory, and requests whose greedy tokens the
one-at-a-time reference has computed, shared by the peer tests."""

import random

import pytest
import torch

from tokbench.model import LoadedModel
from tokbench.model.config import ModelConfig
from tokbench.model.llama import LlamaModel
from tokbench.model.random_init import init_random_weights
from tokbench.verify import reference_outputs
from tokbench.workload.types import Request

pytest.importorskip("tokenizers", reason="exporting a model directory writes a tokenizer: pip install tokenizers")

# head_dim 32: the smallest vLLM's CPU attention takes. Small enough that a peer run takes seconds.
SMALL = ModelConfig(name="small", architecture="llama", vocab_size=512, hidden_size=128, intermediate_size=256,
                    num_layers=2, num_heads=4, num_kv_heads=2, head_dim=32, max_model_len=256)


@pytest.fixture(scope="session")
def small_loaded() -> LoadedModel:
    model = LlamaModel(SMALL)
    init_random_weights(model, seed=3)
    model.prepare(torch.device("cpu"), torch.float32)
    return LoadedModel(model=model, cfg=SMALL, source="test:small", dtype=torch.float32, device=torch.device("cpu"))


@pytest.fixture(scope="session")
def small_dir(small_loaded, tmp_path_factory):
    from tokbench.model.export import export_hf

    return export_hf(small_loaded.model, tmp_path_factory.mktemp("export") / "small")


def make_requests(n: int, *, seed: int = 0, spacing_s: float = 0.0) -> list[Request]:
    """Mixed prompt and output lengths; `spacing_s` > 0 makes them arrive one after another."""
    rng = random.Random(seed)
    return [Request(i, i * spacing_s, tuple(rng.randrange(3, SMALL.vocab_size) for _ in range(rng.randint(2, 40))),
                    rng.randint(1, 12)) for i in range(n)]


@pytest.fixture(scope="session")
def requests_and_reference(small_loaded):
    requests = make_requests(6)
    return requests, reference_outputs(small_loaded, requests)
