"""The GPU path on a real CUDA device. Deselected by default; run with `python -m pytest -m cuda`.

bf16 tolerance: attention outputs within 2e-2 of the fp32 SDPA reference (bf16 keeps 8 bits of
mantissa: ~4e-3 relative per rounding, a few roundings deep). Greedy tokens are compared exactly
only in fp32; in bf16 a token may flip where two logits are within rounding (reported by
`tokbench run --verify` as a first divergence, see docs/gpu.md).
"""

import pytest
import torch

from tests.cuda_path.scenarios import LAYOUTS, make_scenario
from tokbench.engine.attention.capabilities import Machine, Needs, why_not

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

BF16_TOL = dict(atol=2e-2, rtol=2e-2)


def _backend(name):
    machine = Machine.detect()
    from tokbench.engine.attention.select import make_backend

    reason = why_not(name, Needs("cuda", torch.bfloat16, 16, True, 256), machine)
    if reason:
        pytest.skip(f"{name}: {reason}")
    return make_backend(name, machine)


def _layout(name, block_size):
    spec = dict(LAYOUTS[name])
    if spec["kv"] == "paged":
        spec.update(block_size=block_size, capacity=block_size * 8)
    return make_scenario(**spec)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name,block_size", [("flash-attn", 256), ("torch-varlen", 256), ("triton", 16)])
def test_backend_bf16_every_layout(name, block_size, layout):
    s = _layout(layout, block_size)
    torch.testing.assert_close(s.run(_backend(name), torch.bfloat16, "cuda"), s.reference(), **BF16_TOL)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_triton_fp32_every_layout(layout):
    from tokbench.engine.attention.triton_backend import TritonBackend

    s = make_scenario(**LAYOUTS[layout])
    torch.testing.assert_close(s.run(TritonBackend(), torch.float32, "cuda"), s.reference(), atol=1e-4, rtol=1e-4)


@pytest.fixture(scope="module")
def tiny_cuda():
    from tokbench.model import load_model

    return load_model("tiny", dtype=torch.float32, device=torch.device("cuda"), seed=0)


@pytest.fixture(scope="module")
def workload():
    from tests.conftest import mixed_requests

    return mixed_requests(12, seed=1)


@pytest.fixture(scope="module")
def cpu_reference(tiny_model, workload):
    from tokbench.engine.reference import reference_tokens

    return {r.request_id: reference_tokens(tiny_model, r) for r in workload}


KNOBS = dict(kv_budget_tokens=4096, max_model_len=256, max_num_seqs=8, max_batch_tokens=128,
             knobs={"chunk_size": 48})


@pytest.mark.parametrize("strategy", ["static-padded", "continuous", "ffd-packing", "tokenmaxxing"])
def test_fp32_gpu_tokens_equal_cpu_reference(tiny_cuda, workload, cpu_reference, strategy):
    from tokbench.benchmark.strategy_registry import resolve
    from tokbench.engine.engine import Engine
    from tokbench.engine.policy import SchedulerConfig

    torch.backends.cuda.matmul.allow_tf32 = False
    engine = Engine(tiny_cuda, KNOBS["kv_budget_tokens"], "triton")
    rec = engine.serve(resolve(strategy), SchedulerConfig(**KNOBS), workload)
    assert rec.outputs == cpu_reference


@pytest.mark.parametrize("strategy", ["continuous", "tokenmaxxing"])
def test_captured_decode_graphs_keep_tokens(tiny_cuda, workload, cpu_reference, strategy):
    from tests.cuda_path.test_cuda_graphs import GraphedRunner
    from tokbench.benchmark.strategy_registry import resolve
    from tokbench.engine.cuda_graphs import DecodeGraphs, graph_buckets
    from tokbench.engine.engine import Engine
    from tokbench.engine.policy import SchedulerConfig

    engine = Engine(tiny_cuda, KNOBS["kv_budget_tokens"], "triton")
    cls, knobs = resolve(strategy), SchedulerConfig(**KNOBS)
    graphs = DecodeGraphs(tiny_cuda.model, engine.storage, engine.backend, graph_buckets(knobs.max_num_seqs),
                          tiny_cuda.cfg.max_model_len)
    graphs.capture(cls.kv_layout, knobs.block_size)
    engine.runner = GraphedRunner(engine.runner, graphs)
    rec = engine.serve(cls, knobs, workload)
    assert rec.outputs == cpu_reference and engine.runner.graph_steps > 0


def test_memory_probe_reads_this_gpu(tiny_cuda):
    from tokbench.engine.memory_budget import (
        largest_step_forward,
        measure_memory,
        plan_kv_budget,
    )

    step = largest_step_forward(tiny_cuda.model, tiny_cuda.device, 4096, 64, tiny_cuda.cfg.max_model_len)
    state = measure_memory(tiny_cuda.device, step, 4096)
    assert 0 < state.free <= state.total and state.step_peak > 0
    budget = plan_kv_budget(state, bytes_per_token=tiny_cuda.cfg.kv_bytes_per_token(4), utilization=0.5)
    assert budget.tokens * budget.bytes_per_token < 0.5 * state.total


def test_this_gpu_has_a_peak_figure():
    from tokbench.metrics.hardware import device_peaks

    peaks = device_peaks(torch.device("cuda"), torch.bfloat16)
    assert peaks.peak_bandwidth > 1e11 and peaks.peak_flops > 1e12
