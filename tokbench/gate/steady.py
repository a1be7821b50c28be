"""Per-step medians over repeats: a run's step-time metrics with bursts of machine noise taken out.

An offline workload schedules the same steps in every repeat, so step i of one repeat does the
same work as step i of another. A burst of contention on a shared machine slows the steps it
overlaps in one repeat, rarely the same steps in most repeats; the median duration of each step
over the repeats drops those bursts, where a median of whole-run figures keeps any repeat that was
hit somewhere. The summary is then recomputed from that table with tokbench's own metric code.
"""

from __future__ import annotations

import numpy as np

from tokbench.errors import UserError
from tokbench.metrics.cost_model import CostModel
from tokbench.metrics.summary import SLO, summarize
from tokbench.results import Results

# What makes two repeats' steps "the same step" (the work, not its timing).
SCHEDULE_COLUMNS = ["kind", "layout", "batch_size", "real_tokens", "padded_tokens", "prefill_tokens",
                    "decode_tokens"]
# Summary metrics that depend on the steps table alone (metrics/summary.py); the others need request
# timings, which a per-step median does not give.
STEP_METRICS = frozenset({
    "prefill_throughput", "decode_throughput", "padding_ratio", "token_budget_utilization", "kv_fragmentation",
    "kv_utilization", "mbu", "mfu", "scheduler_overhead", "num_steps", "mean_batch_size", "preemptions",
    "peak_kv_reserved_tokens", "peak_kv_memory_bytes",
})


def per_step_median_summary(candidates: list[Results], run: str) -> dict:
    steps = [c.run(run).steps for c in candidates]
    first = steps[0]
    for res, other in zip(candidates[1:], steps[1:]):
        same = len(other) == len(first) and other[SCHEDULE_COLUMNS].equals(first[SCHEDULE_COLUMNS])
        if not same:
            raise UserError(f"{res.path}: run {run!r} scheduled different steps than in {candidates[0].path}; "
                            "per-step medians need repeats of one deterministic (offline) workload")
    merged = first.copy()
    for column in _durations(first):
        merged[column] = np.median(np.vstack([s[column].to_numpy(dtype=float) for s in steps]), axis=0)
    config = candidates[0].doc["config"]
    if "cost_model" not in config:
        raise UserError(f"{candidates[0].path}: results without a cost model cannot be re-summarized per step")
    peaks = config.get("peaks") or {}
    base = candidates[0].run(run)
    try:
        return summarize(base.requests, merged, base.tokens, cost=CostModel(**config["cost_model"]),
                         peak_bandwidth=peaks.get("peak_bandwidth"), peak_flops=peaks.get("peak_flops"),
                         slo=SLO(**config.get("slo", {})))
    except KeyError as exc:
        raise UserError(f"{candidates[0].path}: its steps table lacks column {exc} that this tokbench's metrics "
                        "need (written by an older version); re-run the benchmark") from None


def _durations(steps) -> list[str]:
    """The per-step time columns (seconds spent), as opposed to the timeline's start_s and end_s."""
    return [c for c in steps.columns if c.endswith("_s") and c not in ("start_s", "end_s")]
