"""The roofline cost model: every GPU in the table with every preset, and the terms it adds up."""

import math

import pytest

from tokbench.benchmark.strategy_registry import builtin_names, resolve
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.policy import SchedulerConfig
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError
from tokbench.metrics.hardware import GPUS
from tokbench.model.presets import PRESETS
from tokbench.simulate.features import plan_counts
from tokbench.simulate.gpu_memory import gpu_kv_budget
from tokbench.simulate.roofline import EFFICIENCY_DEFAULTS, RooflineModel
from tokbench.workload.types import Request

H100_BANDWIDTH, H100_BF16 = 3.35e12, 989.5e12


def _seq(i, prompt_len, outputs=0):
    seq = Sequence(Request(i, 0.0, (7,) * prompt_len, 64))
    seq.token_ids.extend([7] * outputs)
    return seq


counts = plan_counts


def decode_plan(batch, context=512):
    return StepPlan(tuple(SeqChunk(_seq(i, context, 1), context, 1) for i in range(batch)), "packed")


def prefill_plan(batch, prompt_len):
    return StepPlan(tuple(SeqChunk(_seq(i, prompt_len), 0, prompt_len) for i in range(batch)), "packed")


@pytest.mark.parametrize("gpu", [g.key for g in GPUS])
@pytest.mark.parametrize("preset", ["llama-1b", "llama-8b", "qwen2.5-7b", "llama-70b"])
def test_every_gpu_prices_every_preset(gpu, preset):
    model = RooflineModel.build(gpu, PRESETS[preset], tensor_parallel=8 if preset == "llama-70b" else 1)
    times = [model.step_seconds(decode_plan(b)) for b in (1, 8, 64)] + [model.step_seconds(prefill_plan(4, 1024))]
    assert all(math.isfinite(t) and t > EFFICIENCY_DEFAULTS["step_overhead_s"] for t in times)
    assert times[0] <= times[1] <= times[2] < times[3]


def test_a_small_decode_step_reads_the_weights_and_a_big_prefill_is_compute_bound():
    model = RooflineModel.build("H100-SXM", PRESETS["llama-8b"])
    cost, bw = model.target.cost(), H100_BANDWIDTH * EFFICIENCY_DEFAULTS["bandwidth_efficiency"]
    decode = model.breakdown(counts(decode_plan(1)))
    # 15.0 GB read (all weights but the embedding table, which is only gathered) at 80% of 3.35 TB/s
    assert decode["linear"] == pytest.approx(cost.weight_bytes / bw)
    assert decode["linear"] == pytest.approx(5.6e-3, rel=0.01)
    assert decode["attention"] == pytest.approx((513 + 1) * cost.kv_bytes_per_token / bw)  # 513 read, 1 written
    assert decode["all_reduce"] == 0 and decode["overhead"] == EFFICIENCY_DEFAULTS["step_overhead_s"]
    prefill = prefill_plan(8, 1024)
    flops = H100_BF16 * EFFICIENCY_DEFAULTS["flops_efficiency"]
    linear = model.breakdown(counts(prefill))["linear"]
    assert linear == pytest.approx((2 * cost.body_params * 8192 + 2 * cost.head_params * 8) / flops)
    assert linear > 10 * decode["linear"]


def test_tensor_parallel_splits_the_work_and_pays_for_all_reduces():
    one = RooflineModel.build("H100-SXM", PRESETS["llama-70b"])
    four = RooflineModel.build("H100-SXM", PRESETS["llama-70b"], tensor_parallel=4)
    for plan in (decode_plan(16), prefill_plan(2, 2048)):
        a, b = one.breakdown(counts(plan)), four.breakdown(counts(plan))
        assert b["linear"] == pytest.approx(a["linear"] / 4)
        assert a["all_reduce"] == 0 and b["all_reduce"] > 0
    # 2 all-reduces per layer, each at least the fixed latency
    assert four.breakdown(counts(decode_plan(1)))["all_reduce"] > 160 * EFFICIENCY_DEFAULTS["allreduce_latency_s"]


def test_efficiency_factors_scale_their_terms():
    base = RooflineModel.build("A100-SXM-80GB", PRESETS["llama-8b"])
    faster = RooflineModel.build("A100-SXM-80GB", PRESETS["llama-8b"], bandwidth_efficiency=0.4)
    plan = decode_plan(4)
    assert faster.breakdown(counts(plan))["linear"] == pytest.approx(2 * base.breakdown(counts(plan))["linear"])


def test_a_dtype_the_gpu_lacks_is_refused():
    with pytest.raises(UserError, match="A100-SXM-80GB: no peak FLOP/s for dtype 'fp8'"):
        RooflineModel.build("A100-SXM-80GB", PRESETS["llama-8b"], dtype="fp8")
    with pytest.raises(UserError, match="not in the hardware table"):
        RooflineModel.build("B300", PRESETS["llama-8b"])


def _budget(model, requests):
    knobs = SchedulerConfig(kv_budget_tokens=1, max_model_len=8192)
    return gpu_kv_budget(model.target, model.gpu, requests, [resolve(s) for s in builtin_names()], knobs)


def test_kv_budget_follows_gpu_memory_and_tensor_parallel():
    requests = [Request(0, 0.0, (7,) * 768, 256)]
    llama8 = _budget(RooflineModel.build("H100-SXM", PRESETS["llama-8b"]), requests)
    # 0.9 x 80 GB - 15 GB of weights - context, margin and the largest step, at 128 KiB per token
    assert 300_000 < llama8 < 0.9 * 80e9 / (128 * 1024)
    with pytest.raises(UserError, match="no room for KV"):
        _budget(RooflineModel.build("H100-SXM", PRESETS["llama-70b"]), requests)
    tp4 = _budget(RooflineModel.build("H100-SXM", PRESETS["llama-70b"], tensor_parallel=4), requests)
    assert tp4 > llama8  # four GPUs' memory less 141 GB of weights, at 320 KiB per token spread over four
