"""The KV budget a roofline target would get: what `tokbench run` sizes on a real GPU, estimated.

`run` measures free memory after loading the weights and a warmup at the largest step; here the
same arithmetic (engine/memory_budget.py, benchmark/kv_sizing.py) runs on estimates: weights / tp,
1 GiB of CUDA context and framework, and activations of (2·intermediate / tp + 4·hidden) values
per token of the largest step any of the strategies can take.
"""

from __future__ import annotations

from tokbench.benchmark.kv_sizing import largest_step
from tokbench.engine.memory_budget import GiB, MemoryState, linear_step_bytes, plan_kv_budget
from tokbench.engine.policy import PromptStats, SchedulerConfig, Strategy
from tokbench.metrics.hardware import GpuPeaks
from tokbench.simulate.target import Target, dtype_bytes
from tokbench.workload.types import Request

CONTEXT_BYTES = GiB


def gpu_kv_budget(target: Target, gpu: GpuPeaks, requests: list[Request], strategies: list[type[Strategy]],
                  config: SchedulerConfig, *, utilization: float = 0.9) -> int:
    """KV token slots of one replica (all its tensor-parallel GPUs together); config's budget is ignored."""
    t, cfg = target, target.model
    tp, nbytes = t.tensor_parallel, dtype_bytes(t.dtype)
    prompts = [r.prompt_len for r in requests] or [1]
    steps = largest_step(strategies, config, PromptStats(longest=max(prompts), total=sum(prompts)))
    per_token = (2 * cfg.intermediate_size // tp + 4 * cfg.hidden_size) * nbytes
    total = int(gpu.memory)
    state = MemoryState(total=total, free=total - t.cost().weight_bytes // tp - CONTEXT_BYTES,
                        step_peak=per_token * steps(0), step_tokens=steps(0))
    kv_shards = min(tp, cfg.num_kv_heads)  # a GPU holds 1/kv_shards of each token's KV
    budget = plan_kv_budget(state, bytes_per_token=-(-cfg.kv_bytes_per_token(nbytes) // kv_shards),
                            utilization=utilization, step_bytes=linear_step_bytes(state, steps))
    return budget.tokens * kv_shards
