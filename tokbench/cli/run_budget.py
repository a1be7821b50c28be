"""The KV budget of `tokbench run`: one number of token slots, equal for every strategy.

On CPU it is 16 max-length sequences unless given. On CUDA it is sized from the device's memory
after a warmup at the largest step (engine/memory_budget.py), and a requested budget that does not
fit is refused with the largest that does.
"""

from __future__ import annotations

import torch

from tokbench.engine.memory_budget import (KVBudget, largest_step_forward, largest_step_tokens, linear_step_bytes,
                                           measure_memory, plan_kv_budget)
from tokbench.engine.policy import CPU_DEFAULT_KV_SEQUENCES as CPU_DEFAULT_SEQUENCES
from tokbench.model import LoadedModel
from tokbench.workload.types import Request

MAX_WARMUP_TOKENS = 32768  # the probe's forward; larger steps are extrapolated linearly


def resolve_kv_budget(loaded: LoadedModel, requests: list[Request], *, requested: int | None, utilization: float,
                      max_batch_tokens: int, max_num_seqs: int, bin_tokens: int | None) -> tuple[int, KVBudget | None]:
    """(tokens, the GPU sizing behind them or None on CPU)."""
    cfg, device = loaded.cfg, loaded.device
    if device.type != "cuda":
        return (CPU_DEFAULT_SEQUENCES * cfg.max_model_len if requested is None else requested), None
    prompts = [r.prompt_len for r in requests]
    steps = largest_step_tokens(max_batch_tokens=max_batch_tokens, max_num_seqs=max_num_seqs,
                                longest_prompt=max(prompts), bin_tokens=bin_tokens, total_prompt_tokens=sum(prompts))
    probe_tokens = min(steps(0), MAX_WARMUP_TOKENS)
    state = measure_memory(device, largest_step_forward(loaded.model, device, probe_tokens, max_num_seqs,
                                                        cfg.max_model_len), probe_tokens)
    budget = plan_kv_budget(state, bytes_per_token=cfg.kv_bytes_per_token(torch.finfo(loaded.dtype).bits // 8),
                            utilization=utilization, step_bytes=linear_step_bytes(state, steps),
                            requested_tokens=requested)
    return budget.tokens, budget
