"""KV pool sizing from (injected) GPU memory figures, and the out-of-memory message."""

import pytest
import torch

from tokbench.benchmark.kv_sizing import largest_step
from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.memory_budget import (
    GiB,
    MemoryState,
    budget_that_fits,
    failed_allocation,
    largest_step_forward,
    linear_step_bytes,
    oom_message,
    plan_kv_budget,
)
from tokbench.engine.policy import PromptStats, SchedulerConfig
from tokbench.errors import UserError

BPT_8B = 2 * 32 * 8 * 128 * 2  # Llama-3.1-8B, bf16: K and V, 32 layers, 8 KV heads of 128 -> 128 KiB a token
H100 = MemoryState(total=80 * GiB, free=62 * GiB, step_peak=4 * GiB, step_tokens=8192)  # 16 GiB weights, 2 context


def test_budget_fills_what_utilization_leaves():
    b = plan_kv_budget(H100, bytes_per_token=BPT_8B, utilization=0.9)
    margin = int(0.02 * 80 * GiB)  # 1.6 GiB: larger than the 0.5 GiB floor
    room = int(0.9 * 80 * GiB) - 18 * GiB - margin  # for KV and the largest step's 4 GiB
    assert b.margin == margin
    assert b.tokens % 256 == 0
    assert b.tokens * BPT_8B + 4 * GiB <= room < (b.tokens + 256) * BPT_8B + 4 * GiB
    assert b.tokens == 396_288  # 48.4 GiB of 128 KiB tokens, whole 256-slot units


def test_lower_utilization_gives_a_smaller_pool():
    assert plan_kv_budget(H100, bytes_per_token=BPT_8B, utilization=0.5).tokens < \
        plan_kv_budget(H100, bytes_per_token=BPT_8B, utilization=0.9).tokens


def _largest(names, *, max_batch_tokens, max_num_seqs, longest, total, **knobs):
    config = SchedulerConfig(kv_budget_tokens=1, max_model_len=8192, max_num_seqs=max_num_seqs,
                             max_batch_tokens=max_batch_tokens, knobs=knobs)
    return largest_step([resolve(n) for n in names], config, PromptStats(longest=longest, total=total))


def test_a_step_that_grows_with_the_pool_is_solved_for():
    # ffd-packing's default bin is the pool itself: activations grow with the budget
    step_tokens = _largest(["ffd-packing"], max_batch_tokens=2048, max_num_seqs=10**6, longest=512, total=10**9)
    step = linear_step_bytes(H100, step_tokens)
    b = plan_kv_budget(H100, bytes_per_token=BPT_8B, step_bytes=step)
    room = int(0.9 * 80 * GiB) - 18 * GiB - b.margin
    assert b.tokens * BPT_8B + step(b.tokens) <= room < (b.tokens + 256) * BPT_8B + step(b.tokens + 256)
    assert b.step_reserve == step(b.tokens) > 4 * GiB


def test_largest_step_covers_every_strategy():
    builtins = ["static-padded", "continuous", "ffd-packing", "tokenmaxxing"]
    f = _largest(builtins, max_batch_tokens=2048, max_num_seqs=64, longest=100, total=3000)
    assert f(10**6) == 6400  # 64 padded prompts of 100 beat the token budget and the workload's 3000
    assert _largest(["tokenmaxxing"], max_batch_tokens=2048, max_num_seqs=64, longest=100, total=3000)(10**6) == 2048
    # A padded batch reserves more KV than its prompt rectangle: the KV budget caps that rectangle.
    assert _largest(["static-padded"], max_batch_tokens=512, max_num_seqs=64, longest=100, total=3000)(4096) == 4096
    assert _largest(["continuous"], max_batch_tokens=512, max_num_seqs=64, longest=900, total=3000)(10**6) == 900
    g = _largest(["ffd-packing"], max_batch_tokens=512, max_num_seqs=1000, longest=100, total=50_000)
    assert g(20_000) == 20_000 and g(100_000) == 50_000  # an ffd bin: the pool, capped by the prompts
    assert _largest(["ffd-packing"], max_batch_tokens=512, max_num_seqs=4, longest=100, total=50_000)(10**5) == 512
    assert _largest(["ffd-packing"], max_batch_tokens=512, max_num_seqs=1000, longest=100, total=50_000,
                    bin_tokens=4096)(100_000) == 4096


def test_no_room_is_one_clear_error():
    full = MemoryState(total=24 * GiB, free=3 * GiB, step_peak=2 * GiB, step_tokens=4096)
    with pytest.raises(UserError, match=r"no room for KV after 21.00 GiB in use, 2.00 GiB for the largest step"):
        plan_kv_budget(full, bytes_per_token=BPT_8B)


def test_requested_budget_is_checked_against_what_fits():
    assert plan_kv_budget(H100, bytes_per_token=BPT_8B, requested_tokens=100_000).tokens == 100_000
    with pytest.raises(UserError, match="--kv-budget-tokens 500000: at most 396288 fit"):
        plan_kv_budget(H100, bytes_per_token=BPT_8B, requested_tokens=500_000)


@pytest.mark.parametrize("u", [0, -0.1, 1.5])
def test_utilization_out_of_range(u):
    with pytest.raises(UserError, match="--gpu-memory-utilization"):
        plan_kv_budget(H100, bytes_per_token=BPT_8B, utilization=u)


TORCH_OOM = ("CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 79.10 GiB of which "
             "1.02 GiB is free. Including non-PyTorch memory, this process has 78.06 GiB memory in use.")


def test_failed_allocation_is_read_from_torch_message():
    assert failed_allocation(TORCH_OOM) == int(2.5 * GiB)
    assert failed_allocation("Tried to allocate 512.00 MiB.") == 512 * 2**20
    assert failed_allocation("something else") is None


def test_oom_message_names_a_budget_that_fits():
    b = plan_kv_budget(H100, bytes_per_token=BPT_8B)
    free = int(1.02 * GiB)
    msg = oom_message("static-padded", b, TORCH_OOM, free)
    fits = budget_that_fits(b, int(2.5 * GiB) - free)
    assert f"--kv-budget-tokens {fits} would fit" in msg and msg.startswith("static-padded: out of GPU memory")
    # the smaller pool frees the shortfall and a margin
    assert (b.tokens - fits) * BPT_8B >= int(2.5 * GiB) - free + b.margin
    assert fits % 256 == 0 and "\n" not in msg


def test_warmup_forward_runs_without_kv(tiny_model):
    step = largest_step_forward(tiny_model.model, torch.device("cpu"), tokens=40, sampled=8, max_model_len=2048)
    step()  # one forward over 40 tokens with no KV storage at all
