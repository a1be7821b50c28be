"""The metrics a peer cannot provide are exactly the ones computed from engine steps."""

import math

import pandas as pd
import pytest

from tests.peers.conftest import SMALL, make_requests
from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.engine import Engine
from tokbench.engine.policy import SchedulerConfig
from tokbench.metrics.cost_model import CostModel
from tokbench.metrics.summary import SLO, summarize
from tokbench.peers.records import STEP_METRICS, PeerRequest, make_run, peer_tables


def _same(a, b) -> bool:
    return (math.isnan(a) and math.isnan(b)) if isinstance(a, float) and isinstance(b, float) and (
        math.isnan(a) or math.isnan(b)) else a == b


def test_every_step_derived_metric_is_listed(small_loaded):
    cfg = SchedulerConfig(kv_budget_tokens=2048, max_model_len=SMALL.max_model_len)
    tables = Engine(small_loaded, cfg.kv_budget_tokens).serve(resolve("tokenmaxxing"), cfg, make_requests(5)).tables()
    cost = CostModel.of(SMALL, 4)
    kwargs = dict(cost=cost, peak_bandwidth=1e11, peak_flops=1e12)
    with_steps = summarize(tables["requests"], tables["steps"], tables["tokens"], **kwargs)
    without = summarize(tables["requests"], tables["steps"].iloc[0:0], tables["tokens"], **kwargs)
    changed = {k for k in with_steps if not _same(with_steps[k], without[k])}
    assert changed <= set(STEP_METRICS) | {"preemptions"}
    assert set(STEP_METRICS) <= set(with_steps)


def test_preemptions_come_from_the_peer_when_it_counts_them():
    def rec(rid, preemptions):
        return PeerRequest(rid, 0.0, 0.0, 3, [7, 8], [0.5, 0.75], finish_s=0.75, preemptions=preemptions)

    counted = make_run("p", "vllm", {}, [rec(0, 2), rec(1, 1)], cost=CostModel.of(SMALL, 4), slo=SLO())
    assert counted.summary["preemptions"] == 3 and "preemptions" not in counted.not_measured
    unknown = make_run("p", "hf", {}, [rec(0, None)], cost=CostModel.of(SMALL, 4), slo=SLO())
    assert math.isnan(unknown.summary["preemptions"]) and "preemptions" in unknown.not_measured
    assert unknown.summary["output_throughput"] == pytest.approx(2 / 0.75)


def test_a_token_without_a_time_is_refused():
    with pytest.raises(ValueError, match="2 tokens but 1 token times"):
        PeerRequest(0, 0.0, 0.0, 3, [7, 8], [0.5], finish_s=0.5)


def test_tables_have_the_recorder_columns():
    tables = peer_tables([PeerRequest(4, 0.1, 0.2, 3, [7], [0.3], finish_s=0.3)])
    assert tables["requests"].loc[0, "first_token_s"] == 0.3 and len(tables["steps"]) == 0
    assert isinstance(tables["tokens"], pd.DataFrame) and tables["tokens"]["time_s"].tolist() == [0.3]

