"""Shared fixtures: the tiny random model, small mixed-length workloads, the benchmark scripts."""

import importlib.util
import random
import sys
from pathlib import Path

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


def load_benchmark(name: str):
    """benchmarks/<name>.py as a module (the scripts are not a package), registered in sys.modules
    so that its dataclasses can find their module."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
