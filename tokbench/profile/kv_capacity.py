"""How many of the served requests fit in the run's KV budget at once, for each way of holding KV.

- paged, on demand (tokenmaxxing): a sequence holds its length rounded up to whole blocks (the
  mean footprint tells how many fit on average: the cap that keeps `overcommit` at or below 1);
- one slot of max_model_len per sequence (continuous: output lengths are unknown in advance);
- a static padded row (static-padded): longest prompt + longest output of its batch, here the
  p90 of each.
`overcommit` is what a paged strategy risks when its queue is full: min(max_num_seqs, requests
that can be in flight) sequences of the mean footprint, over the budget. Above 1 their KV cannot
all stay: the newest are preempted and their prompts recomputed later.
"""

from __future__ import annotations

import numpy as np

from tokbench.profile.target import ServingTarget


def _aligned(tokens: float, block: int) -> int:
    return int(-(-int(np.ceil(tokens)) // block) * block)


def kv_capacity(profile: dict, total_len: np.ndarray, target: ServingTarget) -> dict:
    """`profile` holds the served lengths and concurrency; `total_len` is prompt + output a request."""
    budget, block = target.kv_budget_tokens, target.block_size
    total, prompt, output = profile["total"], profile["prompt"], profile["output"]
    footprint = total_len + (block - 1)  # rounded up to whole blocks, in one temporary
    footprint //= block
    footprint *= block
    max_num_seqs = target.max_num_seqs or target.run_default_max_num_seqs
    # Offline, every request is queued at t=0; online, the concurrency estimate's peak.
    in_flight = profile["requests"] if profile["arrivals"] is None else profile["concurrency"]["max"]
    admitted = min(max_num_seqs, in_flight)
    return {
        "budget_tokens": budget,
        "block_size": block,
        "continuous_slots": budget // target.max_model_len,
        # Requests of the mean / median / p90 / longest footprint that fit at once in paged KV.
        "paged_sequences": {
            "mean": int(budget // footprint.mean()),
            **{key: budget // _aligned(total[key], block) for key in ("p50", "p90", "max")},
        },
        "static_rows_p90": int(budget // int(np.ceil(prompt["p90"] + output["p90"]))),
        "max_num_seqs": max_num_seqs,
        "in_flight": admitted,
        "overcommit": float(admitted * footprint.mean() / budget),
    }
