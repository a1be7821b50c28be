"""Summary metrics, computed only from a run's per-request, per-step and per-token tables.

Definitions are in docs/metrics.md; names follow vLLM's benchmark where it has one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tokbench.metrics.cost_model import CostModel
from tokbench.metrics.stats import describe_ms


@dataclass(frozen=True)
class SLO:
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2el_ms: float | None = None


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def latency_columns(requests: pd.DataFrame) -> pd.DataFrame:
    """Per-request TTFT, TPOT and E2E latency in seconds (TPOT = (E2E - TTFT) / (out - 1))."""
    ttft = requests["first_token_s"] - requests["arrival_s"]
    e2el = requests["finish_s"] - requests["arrival_s"]
    out = requests["output_len"]
    tpot = ((e2el - ttft) / (out - 1)).where(out > 1)
    return pd.DataFrame({"ttft": ttft, "tpot": tpot, "e2el": e2el})


def inter_token_latencies(tokens: pd.DataFrame) -> np.ndarray:
    """Gaps between consecutive tokens of each request, pooled (in no particular order).

    A recorded tokens table numbers each request's tokens 0..n-1, so every token's place in
    (request, index) order is computed directly: no sort of tens of millions of rows. Anything
    else (gaps in the numbering, huge ids) takes a sort.
    """
    rid = tokens["request_id"].to_numpy(dtype=np.int64)
    idx = tokens["index"].to_numpy(dtype=np.int64)
    time_s = tokens["time_s"].to_numpy(dtype=float)
    if not len(rid):
        return np.empty(0)
    ordered = None
    if rid.min() >= 0 and idx.min() >= 0 and rid.max() < 4 * len(rid) + 1024:
        counts = np.bincount(rid)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        if (idx < counts[rid]).all():
            place = starts[rid] + idx
            ordered = np.empty(len(rid), dtype=float)
            ordered[place] = time_s
            filled = np.zeros(len(rid), dtype=bool)
            filled[place] = True
            if not filled.all():  # a repeated (request, index): not a plain numbering
                ordered = None
    if ordered is None:
        order = np.lexsort((idx, rid))
        rid, ordered = rid[order], time_s[order]
        same = rid[1:] == rid[:-1]
    else:
        first = np.zeros(len(rid), dtype=bool)
        first[starts[counts > 0]] = True
        same = ~first[1:]
    return (ordered[1:] - ordered[:-1])[same]


def summarize(requests: pd.DataFrame, steps: pd.DataFrame, tokens: pd.DataFrame, *, cost: CostModel,
              peak_bandwidth: float | None, peak_flops: float | None, slo: SLO = SLO()) -> dict[str, float]:
    duration = float(requests["finish_s"].max()) if len(requests) else 0.0
    lat = latency_columns(requests)
    prompt_tokens, output_tokens = int(requests["prompt_len"].sum()), int(requests["output_len"].sum())
    s: dict[str, float] = {
        "completed": len(requests),
        "duration_s": duration,
        "total_input_tokens": prompt_tokens,
        "total_output_tokens": output_tokens,
        "request_throughput": _ratio(len(requests), duration),
        "output_throughput": _ratio(output_tokens, duration),
        "total_token_throughput": _ratio(prompt_tokens + output_tokens, duration),
    }
    for name in ("ttft", "tpot", "e2el"):
        s.update(describe_ms(name, lat[name].dropna().to_numpy()))
    s.update(describe_ms("itl", inter_token_latencies(tokens)))

    # Step-time split: a mixed step's time is shared by its prefill and decode tokens pro rata.
    share = (steps["prefill_tokens"] / steps["real_tokens"]).fillna(0.0)
    s["prefill_throughput"] = _ratio(steps["prefill_tokens"].sum(), (steps["duration_s"] * share).sum())
    s["decode_throughput"] = _ratio(steps["decode_tokens"].sum(), (steps["duration_s"] * (1 - share)).sum())
    computed = steps["real_tokens"] + steps["padded_tokens"]
    s["padding_ratio"] = _ratio(steps["padded_tokens"].sum(), computed.sum())
    # The run's max_batch_tokens, the same for every strategy; tokens beyond it (a padded rectangle,
    # a long prompt alone) do not count twice. Results written before it was so lack nothing: the
    # column then held each strategy's own notion, and their stored summaries stand.
    budget = steps["token_budget"].astype(float)
    s["token_budget_utilization"] = _ratio(np.minimum(steps["real_tokens"], budget).sum(), budget.sum())
    dur = steps["duration_s"]
    s["kv_fragmentation"] = _ratio(((steps["kv_reserved_tokens"] - steps["kv_used_tokens"]) * dur).sum(),
                                   (steps["kv_reserved_tokens"] * dur).sum())
    s["kv_utilization"] = _ratio((steps["kv_used_tokens"] * dur).sum(), (steps["kv_capacity_tokens"] * dur).sum())
    s["peak_kv_reserved_tokens"] = int(steps["kv_reserved_tokens"].max()) if len(steps) else 0
    s["peak_kv_memory_bytes"] = s["peak_kv_reserved_tokens"] * cost.kv_bytes_per_token
    s["preemptions"] = int(steps["preemptions"].sum())
    # KV a preemption dropped is computed again: that share of the computed tokens is waste (thrash.py).
    # Unknown (null) where the requests table does not count it (peers, results older than the column).
    recomputed = requests["recomputed_tokens"] if "recomputed_tokens" in requests else pd.Series([np.nan])
    s["recomputed_tokens"] = float(recomputed.sum()) if recomputed.notna().all() else float("nan")
    s["recompute_share"] = _ratio(s["recomputed_tokens"], steps["real_tokens"].sum())
    s["num_steps"] = len(steps)
    s["mean_batch_size"] = float(steps["batch_size"].mean()) if len(steps) else float("nan")
    # Host time with the device idle: planning, then building the step's inputs (steps are synchronous).
    prepare = steps["prepare_s"] if "prepare_s" in steps else 0.0  # results older than the column: planning only
    s["scheduler_overhead"] = _ratio((steps["schedule_s"] + prepare).sum(), (steps["schedule_s"] + dur).sum())

    decode = steps["kind"] == "decode"
    bytes_read = cost.weight_bytes + steps.loc[decode, "kv_read_tokens"] * cost.kv_bytes_per_token
    s["mbu"] = _ratio(bytes_read.sum(), dur[decode].sum() * peak_bandwidth) if peak_bandwidth else float("nan")
    flops = (2 * cost.body_params * steps["real_tokens"] + 2 * cost.head_params * steps["sampled_tokens"]
             + cost.attn_flops_per_pair * steps["attention_pairs"])
    s["mfu"] = _ratio(flops.sum(), dur.sum() * peak_flops) if peak_flops else float("nan")

    ok = pd.Series(True, index=requests.index)
    for name, limit in (("ttft", slo.ttft_ms), ("tpot", slo.tpot_ms), ("e2el", slo.e2el_ms)):
        if limit is not None:
            ok &= (lat[name].fillna(0.0) * 1000.0) <= limit
    s["good_requests"] = int(ok.sum())
    s["request_goodput"] = _ratio(ok.sum(), duration)
    return s
