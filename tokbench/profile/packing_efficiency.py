"""How well requests pack into fixed token budgets with First-Fit-Decreasing.

Two things are packed: prompts (what one packed prefill ribbon holds) and footprints, prompt +
output (what the ffd-packing strategy packs into a bin of KV slots). Efficiency = real tokens /
token slots of the bins used; sizes are aligned up to 16 first, as the strategy does.
"""

from __future__ import annotations

import numpy as np

from tokbench.workload.ffd import ffd_pack

TOKEN_BUDGETS = (2048, 4096, 8192, 16384)
ALIGN = 16
MAX_ITEMS = 200_000  # FFD efficiency settles long before this; bigger traces are sampled (seeded)


def _packed(sizes: np.ndarray, budget: int) -> dict:
    bins = ffd_pack(sizes, budget, ALIGN)
    load = np.bincount(bins, weights=-(-sizes // ALIGN) * ALIGN)
    # An item larger than the budget gets a bin of its own spanning ceil(size/budget) budgets.
    slots = np.maximum(np.ceil(load / budget), 1) * budget
    return {
        "efficiency": float(sizes.sum() / slots.sum()),
        "bins": int(load.size),
        "oversized": int((sizes > budget).sum()),
    }


def packing_summary(prompt_len: np.ndarray, output_len: np.ndarray, budgets=TOKEN_BUDGETS, *, seed: int = 0) -> dict:
    prompts, outputs = np.asarray(prompt_len), np.asarray(output_len)
    sampled = prompts.size > MAX_ITEMS
    if sampled:  # pick first, so a 10M-row trace is never copied whole
        picked = np.random.default_rng(seed).choice(prompts.size, MAX_ITEMS, replace=False)
        prompts, outputs = prompts[picked], outputs[picked]
    prompts = prompts.astype(np.int64)
    footprints = prompts + outputs
    out: dict = {"align": ALIGN, "sampled_items": int(prompts.size) if sampled else None, "budgets": {}}
    for budget in budgets:
        out["budgets"][str(budget)] = {"prompt": _packed(prompts, budget), "footprint": _packed(footprints, budget)}
    return out
