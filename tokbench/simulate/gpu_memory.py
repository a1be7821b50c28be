"""The KV budget a roofline target would get: what `tokbench run` sizes on a real GPU, estimated.

`run` measures free memory after loading the weights and a warmup at the largest step; here the
same arithmetic (engine/memory_budget.py) runs on estimates: weights / tp, 1 GiB of CUDA context
and framework, and activations of (2·intermediate / tp + 4·hidden) values per token of the
largest step a built-in strategy can run.
"""

from __future__ import annotations

from tokbench.engine.memory_budget import GiB, MemoryState, largest_step_tokens, linear_step_bytes, plan_kv_budget
from tokbench.simulate.roofline import RooflineModel
from tokbench.simulate.target import dtype_bytes
from tokbench.workload.types import Request

CONTEXT_BYTES = GiB


def gpu_kv_budget(model: RooflineModel, requests: list[Request], *, utilization: float = 0.9,
                  max_batch_tokens: int, max_num_seqs: int, bin_tokens: int | None = None) -> int:
    """KV token slots of one replica (all its tensor-parallel GPUs together)."""
    t, cfg = model.target, model.target.model
    tp, nbytes = t.tensor_parallel, dtype_bytes(t.dtype)
    prompts = [r.prompt_len for r in requests] or [1]
    steps = largest_step_tokens(max_batch_tokens=max_batch_tokens, max_num_seqs=max_num_seqs,
                                longest_prompt=max(prompts), bin_tokens=bin_tokens, total_prompt_tokens=sum(prompts))
    per_token = (2 * cfg.intermediate_size // tp + 4 * cfg.hidden_size) * nbytes
    total = int(model.gpu.memory)
    state = MemoryState(total=total, free=total - t.cost().weight_bytes // tp - CONTEXT_BYTES,
                        step_peak=per_token * steps(0), step_tokens=steps(0))
    kv_shards = min(tp, cfg.num_kv_heads)  # a GPU holds 1/kv_shards of each token's KV
    budget = plan_kv_budget(state, bytes_per_token=-(-cfg.kv_bytes_per_token(nbytes) // kv_shards),
                            utilization=utilization, step_bytes=linear_step_bytes(state, steps))
    return budget.tokens * kv_shards
