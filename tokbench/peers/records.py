"""What a peer engine reports per request, turned into tokbench's tables and summary.

A peer (transformers, vLLM) is a black box: tokbench sees when each request arrived, was first
scheduled, got each token and finished, never the engine's steps. So a peer run has the request
and token tables that tokbench records, an empty step table, and every step-derived metric is
reported as not measured (null), never estimated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from tokbench.engine.recorder import REQUEST_COLUMNS, STEP_COLUMNS, TOKEN_COLUMNS
from tokbench.metrics.cost_model import CostModel
from tokbench.metrics.summary import SLO, summarize

# Summary metrics computed from the per-step table, which a peer does not expose.
STEP_METRICS = (
    "prefill_throughput", "decode_throughput", "padding_ratio", "token_budget_utilization", "kv_fragmentation",
    "kv_utilization", "peak_kv_reserved_tokens", "peak_kv_memory_bytes", "num_steps", "mean_batch_size",
    "scheduler_overhead", "mbu", "mfu", "recomputed_tokens", "recompute_share",
)
NOT_MEASURED_REASON = "the peer engine does not expose its steps to tokbench"


@dataclass
class PeerRequest:
    """One finished request, times in seconds from the start of the timed run."""

    request_id: int
    arrival_s: float
    first_scheduled_s: float | None
    prompt_len: int
    output_ids: list[int]
    token_times: list[float]  # one per output token
    finish_s: float
    preemptions: int | None = None  # None: the peer does not report it

    def __post_init__(self) -> None:
        if len(self.token_times) != len(self.output_ids):
            raise ValueError(f"request {self.request_id}: {len(self.output_ids)} tokens but "
                             f"{len(self.token_times)} token times")


def peer_tables(records: list[PeerRequest]) -> dict[str, pd.DataFrame]:
    """The request and token tables tokbench's own recorder writes, and an empty step table."""
    requests = pd.DataFrame(
        [(r.request_id, r.arrival_s, r.first_scheduled_s, r.token_times[0] if r.token_times else math.nan,
          r.finish_s, r.prompt_len, len(r.output_ids), r.preemptions, None) for r in records],
        columns=REQUEST_COLUMNS,
    ).sort_values("request_id", ignore_index=True)
    requests["first_scheduled_s"] = requests["first_scheduled_s"].astype(float)
    requests["preemptions"] = requests["preemptions"].astype("Int64")
    requests["recomputed_tokens"] = requests["recomputed_tokens"].astype(float)  # no peer reports it
    tokens = pd.DataFrame([(r.request_id, i, t) for r in records for i, t in enumerate(r.token_times)],
                          columns=TOKEN_COLUMNS)
    steps = pd.DataFrame({c: pd.Series(dtype="float64") for c in STEP_COLUMNS})
    steps["kind"] = steps["kind"].astype(object)
    steps["layout"] = steps["layout"].astype(object)
    return {"requests": requests, "steps": steps, "tokens": tokens}


def peer_summary(tables: dict[str, pd.DataFrame], *, cost: CostModel, slo: SLO) -> tuple[dict, list[str]]:
    """(summary, names of the metrics not measured). Step metrics are null rather than a made-up 0."""
    summary = summarize(tables["requests"], tables["steps"], tables["tokens"], cost=cost,
                        peak_bandwidth=None, peak_flops=None, slo=slo)
    missing = [m for m in STEP_METRICS if m in summary]
    for name in missing:
        summary[name] = math.nan
    preemptions = tables["requests"]["preemptions"]
    if preemptions.isna().any():
        summary["preemptions"] = math.nan
        missing.append("preemptions")
    else:  # the peer counts them per request (vLLM does)
        summary["preemptions"] = int(preemptions.sum())
    return summary, missing


@dataclass
class PeerRun:
    """A peer's run, shaped like tokbench's StrategyRun so `tokbench run` treats both alike."""

    name: str  # hf-generate, hf-continuous, vllm-chunked, ...
    backend: str  # hf | vllm
    knobs: dict
    tables: dict[str, pd.DataFrame]
    outputs: dict[int, list[int]]
    summary: dict[str, float]
    not_measured: list[str]
    engine: dict = field(default_factory=dict)  # version, threads, what the peer resolved its settings to
    verification: dict | None = None

    def describe(self) -> dict:
        return {
            "name": self.name,
            "backend": self.backend,
            "strategy": None,
            "kv_layout": self.knobs.get("kv_layout"),
            "knobs": self.knobs,
            "summary": self.summary,
            "verification": self.verification,
            "not_measured": {"metrics": self.not_measured, "reason": NOT_MEASURED_REASON},
            "engine": self.engine,
        }


def make_run(name: str, backend: str, knobs: dict, records: list[PeerRequest], *, cost: CostModel, slo: SLO,
             engine: dict | None = None) -> PeerRun:
    tables = peer_tables(records)
    summary, missing = peer_summary(tables, cost=cost, slo=slo)
    return PeerRun(name, backend, knobs, tables, {r.request_id: list(r.output_ids) for r in records}, summary,
                   missing, engine or {})
