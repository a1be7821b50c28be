"""The whole profile of a workload, as one JSON-ready dict (what `tokbench profile --json` prints).

The statistics describe what `tokbench run` would serve on the target (model, max_model_len, KV
budget): the trace after clipping or dropping the requests longer than max_model_len. `fit` says
how far that is from the trace (requests rewritten, tokens lost, the trace's own lengths).
"""

from __future__ import annotations

import numpy as np

from tokbench.profile.arrival_stats import arrival_summary
from tokbench.profile.concurrency import DEFAULT_PREFILL_TPS, DEFAULT_TPOT_MS, concurrency_estimate
from tokbench.profile.kv_capacity import kv_capacity
from tokbench.profile.length_stats import length_summary
from tokbench.profile.packing_efficiency import TOKEN_BUDGETS, packing_summary
from tokbench.profile.padding_waste import BATCH_SIZES, padding_summary
from tokbench.profile.prefix_reuse import prefix_reuse
from tokbench.profile.recommend import recommend
from tokbench.profile.target import ServingTarget, resolve_target
from tokbench.workload.shaping import fit_to_length
from tokbench.workload.table import LengthTable

SCHEMA_VERSION = 2


def _fit_summary(trace: LengthTable, served: LengthTable, served_lengths: dict) -> dict:
    fit = dict(served.source["fit"])
    fit["rewritten_fraction"] = fit["rewritten"] / fit["requests"]
    fit["tokens_lost_fraction"] = 1 - fit["tokens_served"] / fit["tokens"]
    if fit["rewritten"] == 0:  # the trace is what is served
        fit["trace"] = served_lengths
    else:
        fit["trace"] = {
            "prompt": length_summary(trace.prompt_len),
            "output": length_summary(trace.output_len),
            "total": length_summary(trace.prompt_len + trace.output_len),
        }
    return fit


def served_table(trace: LengthTable, target: ServingTarget, over_length: str = "clip") -> LengthTable:
    """What `run` would serve of `trace` on `target`: the requests fitted to its max_model_len."""
    return fit_to_length(trace, target.max_model_len, over_length, name=trace.source.get("name", "workload"))


def profile_table(
    trace: LengthTable,
    target: ServingTarget | None = None,
    *,
    served: LengthTable | None = None,
    over_length: str = "clip",
    batch_sizes=BATCH_SIZES,
    token_budgets=TOKEN_BUDGETS,
    tpot_ms: float = DEFAULT_TPOT_MS,
    prefill_tps: float = DEFAULT_PREFILL_TPS,
    idle_gap_s: float = 1.0,
    seed: int = 0,
) -> dict:
    """Profile of `trace` (loaded without max_model_len) as served on `target` (default: run's
    defaults); `served` is `served_table(trace, target, over_length)` when the caller has it."""
    target = target or resolve_target()
    table = served if served is not None else served_table(trace, target, over_length)
    prompt, output = table.prompt_len, table.output_len
    total = prompt + output
    arrival = table.arrival_s if table.arrival_s is not None else np.zeros(len(table))
    lengths = {"prompt": length_summary(prompt), "output": length_summary(output), "total": length_summary(total)}
    profile = {
        "schema_version": SCHEMA_VERSION,
        "source": {k: v for k, v in table.source.items() if k != "spec"},
        "target": target.to_dict(),
        "fit": _fit_summary(trace, table, lengths),
        "requests": len(table),
        **lengths,
        "arrivals": arrival_summary(arrival, idle_gap_s=idle_gap_s),
        "concurrency": concurrency_estimate(arrival, prompt, output, tpot_ms=tpot_ms, prefill_tps=prefill_tps),
        "prefix_reuse": prefix_reuse(table),
        "padding": padding_summary(prompt, output, batch_sizes),
        "packing": packing_summary(prompt, output, token_budgets, seed=seed),
    }
    profile["kv"] = kv_capacity(profile, total, target)
    profile["recommendation"] = recommend(profile)
    return profile
