"""A real tiny-model run of every strategy (the measured side), and a target to simulate it with."""

import pytest

from tests.conftest import mixed_requests
from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.engine import Engine
from tokbench.engine.policy import SchedulerConfig
from tokbench.model.presets import PRESETS
from tokbench.simulate.target import Target

STRATEGIES = ("static-padded", "continuous", "ffd-packing", "tokenmaxxing")
# Peaks only feed MBU/MFU: any positive numbers do for tests.
TINY_TARGET = Target(PRESETS["tiny"], "fp32", "test cpu", 1e10, 1e11)
# A made-up step-time model with every term in play (seconds per step / per unit of each feature).
SYNTHETIC_SECONDS = {"per_step": 2e-3, "computed_tokens": 3e-5, "batch_size": 1e-4, "attention_pairs": 2e-8,
                     "kv_read_tokens": 5e-7, "sampled_tokens": 4e-5, "padded_attention_pairs": 1e-8,
                     "padded_kv_read_tokens": 3e-7, "padded_steps": 5e-4}
# Small enough for chunked prefill, mixed steps and (tokenmaxxing) preemption; 2 continuous slots.
KNOBS = SchedulerConfig(kv_budget_tokens=320, max_model_len=128, max_num_seqs=6, max_batch_tokens=64,
                        knobs={"chunk_size": 32, "watermark": 0.0})


@pytest.fixture(scope="session")
def measured(tiny_model):
    """(tables per strategy, knobs, requests) of a real run: offline, mixed lengths."""
    requests = mixed_requests(14, seed=5, max_prompt=80, max_output=16)
    engine = Engine(tiny_model, KNOBS.kv_budget_tokens)
    return {name: engine.serve(resolve(name), KNOBS, requests).tables() for name in STRATEGIES}, KNOBS, requests


@pytest.fixture(scope="session")
def measured_dir(tmp_path_factory):
    """A real `tokbench run` of the tiny preset, every strategy, written to disk (with its run_config)."""
    from tokbench.benchmark.config import ModelSettings, RunConfig, WorkloadSettings
    from tokbench.benchmark.run import run_benchmark
    from tokbench.results.writer import save_results

    out = tmp_path_factory.mktemp("measured")
    config = RunConfig(model=ModelSettings("tiny", threads=2), workload=WorkloadSettings("tiny"), warmup=False,
                       out=str(out))
    return save_results(run_benchmark(config), out).parent
