"""The KV budget of a run: one number of token slots, equal for every strategy.

On CPU it is 16 max-length sequences unless given, and weights + KV + the largest step must fit in
the host memory available before anything is allocated (engine/host_budget.py). On CUDA it is
sized from the device's memory after a warmup at the largest step any of the run's strategies can
take (each strategy says how large, engine/policy.py). Either way a budget that does not fit is
refused with the largest that does (engine/memory_budget.py).
"""

from __future__ import annotations

from dataclasses import replace

import torch

from tokbench.engine.host_budget import check_host_memory, host_available_bytes, step_activation_bytes, weight_bytes
from tokbench.engine.memory_budget import (
    KVBudget,
    largest_step_forward,
    linear_step_bytes,
    measure_memory,
    plan_kv_budget,
)
from tokbench.engine.policy import CPU_DEFAULT_KV_SEQUENCES as CPU_DEFAULT_SEQUENCES
from tokbench.engine.policy import PromptStats, SchedulerConfig, Strategy
from tokbench.model import LoadedModel
from tokbench.model.config import ModelConfig
from tokbench.workload.types import Request

MAX_WARMUP_TOKENS = 32768  # the probe's forward; larger steps are extrapolated linearly


def largest_step(strategies: list[type[Strategy]], config: SchedulerConfig, prompts: PromptStats):
    """Tokens of the largest step of any of `strategies`, as a function of the KV pool's size."""
    return lambda kv_tokens: max([config.max_batch_tokens] + [
        cls.largest_step_tokens(replace(config, kv_budget_tokens=max(kv_tokens, 1)), prompts) for cls in strategies])


def prompt_stats(requests: list[Request]) -> PromptStats:
    return PromptStats(longest=max(r.prompt_len for r in requests), total=sum(r.prompt_len for r in requests))


def cpu_kv_budget(cfg: ModelConfig, dtype_bytes: int, requests: list[Request], strategies: list[type[Strategy]],
                  config: SchedulerConfig, *, requested: int | None) -> int:
    """The KV budget of a CPU run (`requested`, or 16 x max_model_len), refused with one that fits when
    weights + KV + the largest step would not fit in host memory. `cfg` carries the run's max_model_len."""
    tokens = CPU_DEFAULT_SEQUENCES * cfg.max_model_len if requested is None else requested
    what = (f"--kv-budget-tokens {requested} (scheduler.kv_budget_tokens)" if requested is not None else
            f"the default KV budget ({CPU_DEFAULT_SEQUENCES} x max_model_len {cfg.max_model_len} = {tokens} tokens)")
    steps = largest_step(strategies, config, prompt_stats(requests))
    longest = max(r.prompt_len + r.max_tokens for r in requests)

    def step_bytes(kv_tokens: int) -> int:
        return step_activation_bytes(cfg, tokens=steps(kv_tokens), sampled=config.max_num_seqs, longest=longest,
                                     context_tokens=min(config.max_num_seqs * longest, kv_tokens),
                                     dtype_bytes=dtype_bytes)

    # Head-major KV (the CPU backends) keeps max_model_len spare slots past the pool (engine/kv_storage.py).
    check_host_memory(available=host_available_bytes(), weights=weight_bytes(cfg, dtype_bytes),
                      bytes_per_token=cfg.kv_bytes_per_token(dtype_bytes), kv_tokens=tokens,
                      slack_tokens=cfg.max_model_len, step_bytes=step_bytes, what=what,
                      also="" if requested is not None else ", or a smaller --max-model-len")
    return tokens


def resolve_kv_budget(loaded: LoadedModel, requests: list[Request], strategies: list[type[Strategy]],
                      config: SchedulerConfig, *, requested: int | None,
                      utilization: float) -> tuple[int, KVBudget | None]:
    """(tokens, the GPU sizing behind them or None on CPU); `config.kv_budget_tokens` is ignored."""
    cfg, device = loaded.cfg, loaded.device
    if device.type != "cuda":
        return (CPU_DEFAULT_SEQUENCES * cfg.max_model_len if requested is None else requested), None
    steps = largest_step(strategies, config, prompt_stats(requests))
    probe_tokens = min(steps(0), MAX_WARMUP_TOKENS)
    state = measure_memory(device, largest_step_forward(loaded.model, device, probe_tokens, config.max_num_seqs,
                                                        cfg.max_model_len), probe_tokens)
    budget = plan_kv_budget(state, bytes_per_token=cfg.kv_bytes_per_token(torch.finfo(loaded.dtype).bits // 8),
                            utilization=utilization, step_bytes=linear_step_bytes(state, steps),
                            requested_tokens=requested)
    return budget.tokens, budget
