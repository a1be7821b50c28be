"""The whole profile of a workload, as one JSON-ready dict (what `tokbench profile --json` prints)."""

from __future__ import annotations

import numpy as np

from tokbench.profile.arrival_stats import arrival_summary
from tokbench.profile.concurrency import DEFAULT_PREFILL_TPS, DEFAULT_TPOT_MS, concurrency_estimate
from tokbench.profile.length_stats import length_summary
from tokbench.profile.packing_efficiency import TOKEN_BUDGETS, packing_summary
from tokbench.profile.padding_waste import BATCH_SIZES, padding_summary
from tokbench.profile.prefix_reuse import prefix_reuse
from tokbench.profile.recommend import recommend
from tokbench.workload.table import LengthTable

SCHEMA_VERSION = 1


def profile_table(
    table: LengthTable,
    *,
    batch_sizes=BATCH_SIZES,
    token_budgets=TOKEN_BUDGETS,
    tpot_ms: float = DEFAULT_TPOT_MS,
    prefill_tps: float = DEFAULT_PREFILL_TPS,
    idle_gap_s: float = 1.0,
    seed: int = 0,
) -> dict:
    prompt, output = table.prompt_len, table.output_len
    arrival = table.arrival_s if table.arrival_s is not None else np.zeros(len(table))
    profile = {
        "schema_version": SCHEMA_VERSION,
        "source": {k: v for k, v in table.source.items() if k != "spec"},
        "requests": len(table),
        "prompt": length_summary(prompt),
        "output": length_summary(output),
        "total": length_summary(prompt.astype(np.int64) + output),
        "arrivals": arrival_summary(arrival, idle_gap_s=idle_gap_s),
        "concurrency": concurrency_estimate(arrival, prompt, output, tpot_ms=tpot_ms, prefill_tps=prefill_tps),
        "prefix_reuse": prefix_reuse(table),
        "padding": padding_summary(prompt, output, batch_sizes),
        "packing": packing_summary(prompt, output, token_budgets, seed=seed),
    }
    profile["recommendation"] = recommend(profile)
    return profile
