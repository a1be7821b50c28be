"""Shared fixtures: the tiny random model and small mixed-length workloads."""

import random

import pytest
import torch

from tokbench.model import load_model
from tokbench.workload.types import Request


@pytest.fixture(scope="session")
def tiny_model():
    torch.manual_seed(0)
    return load_model("tiny", dtype=torch.float32, device=torch.device("cpu"), seed=0)


def mixed_requests(n: int, seed: int = 0, max_prompt: int = 120, max_output: int = 24) -> list[Request]:
    rng = random.Random(seed)
    return [Request(i, 0.0, tuple(rng.randrange(4, 32000) for _ in range(rng.randint(1, max_prompt))),
                    rng.randint(1, max_output)) for i in range(n)]
