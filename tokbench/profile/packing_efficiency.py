"""How well prompts pack into fixed token budgets with First-Fit-Decreasing (what a packed-prefill
strategy can reach). Efficiency = prompt tokens / token slots of the bins used."""

from __future__ import annotations

import numpy as np

from tokbench.workload.ffd import ffd_pack

TOKEN_BUDGETS = (2048, 4096, 8192, 16384)
MAX_ITEMS = 200_000  # FFD efficiency settles long before this; bigger traces are sampled (seeded)


def packing_summary(prompt_len: np.ndarray, budgets=TOKEN_BUDGETS, *, align: int = 16, seed: int = 0) -> dict:
    sizes = np.asarray(prompt_len, dtype=np.int64)
    sampled = sizes.size > MAX_ITEMS
    if sampled:
        sizes = np.random.default_rng(seed).choice(sizes, MAX_ITEMS, replace=False)
    out: dict = {"align": align, "sampled_items": int(sizes.size) if sampled else None, "budgets": {}}
    for budget in budgets:
        bins = ffd_pack(sizes, budget, align)
        load = np.bincount(bins, weights=-(-sizes // align) * align)
        # An oversized prompt's bin spans ceil(size/budget) budgets' worth of slots.
        slots = np.maximum(np.ceil(load / budget), 1) * budget
        out["budgets"][str(budget)] = {
            "efficiency": float(sizes.sum() / slots.sum()),
            "bins": int(load.size),
            "oversized_prompts": int((sizes > budget).sum()),
        }
    return out
