"""Data-parallel replicas behind a router: time order, routing by the state at arrival, one loop."""

from dataclasses import replace

import pandas as pd
import pytest

from tests.conftest import mixed_requests
from tests.simulate.conftest import KNOBS, STRATEGIES, SYNTHETIC_SECONDS, TINY_TARGET
from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.loop import EngineError
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.simulate.linear import COEFFICIENTS, LinearStepModel
from tokbench.simulate.replicas import serve_replicas
from tokbench.simulate.run import simulate_strategy
from tokbench.workload.types import Request

STEP_10MS = LinearStepModel(TINY_TARGET, {name: (0.01 if name == "per_step" else 0.0) for name in COEFFICIENTS})
VARIED = LinearStepModel(TINY_TARGET, SYNTHETIC_SECONDS)
ROOMY = SchedulerConfig(kv_budget_tokens=4096, max_model_len=256, max_num_seqs=8)


def _online(n, gap_s, seed=0):
    return [replace(r, arrival_s=i * gap_s) for i, r in enumerate(mixed_requests(n, seed=seed, max_prompt=60,
                                                                                 max_output=12))]


def _served_by(recorders) -> dict[int, int]:
    return {row[0]: i for i, rec in enumerate(recorders) for row in rec.requests}


@pytest.mark.parametrize("name", STRATEGIES)
def test_one_replica_behind_the_router_is_the_plain_loop(name):
    requests = _online(24, 0.03)
    plain = simulate_strategy(resolve(name), KNOBS, requests, VARIED).tables
    [rec] = serve_replicas(resolve(name), KNOBS, requests, lambda: VARIED.step_seconds, replicas=1,
                           router="least-outstanding-tokens")
    routed = rec.tables()
    for table in ("steps", "requests", "tokens"):
        pd.testing.assert_frame_equal(routed[table], plain[table])


def test_round_robin_deals_requests_in_arrival_order():
    requests = _online(12, 0.01)
    recs = serve_replicas(resolve("tokenmaxxing"), ROOMY, requests, lambda: VARIED.step_seconds, replicas=3,
                          router="round-robin")
    assert _served_by(recs) == {r.request_id: i % 3 for i, r in enumerate(requests)}


def _request(i, arrival_s, prompt_len, output_len):
    return Request(i, arrival_s, (7,) * prompt_len, output_len)


def test_least_outstanding_tokens_avoids_the_busy_replica():
    # r0 keeps replica 0 busy for 100 steps (1 s); r1 finishes on replica 1 long before r2 arrives.
    requests = [_request(0, 0.0, 10, 100), _request(1, 0.001, 10, 2), _request(2, 0.5, 10, 2)]
    lot = serve_replicas(resolve("continuous"), ROOMY, requests, lambda: STEP_10MS.step_seconds, replicas=2,
                         router="least-outstanding-tokens")
    assert _served_by(lot) == {0: 0, 1: 1, 2: 1}
    rr = serve_replicas(resolve("continuous"), ROOMY, requests, lambda: STEP_10MS.step_seconds, replicas=2,
                        router="round-robin")
    assert _served_by(rr) == {0: 0, 1: 1, 2: 0}


def test_the_router_sees_a_replica_as_it_was_before_a_step_that_ends_after_the_arrival():
    # r0 is served by one 10 ms step (0 -> 10 ms). At 5 ms that step has not returned anything,
    # so replica 0 still owes r0's 5 tokens and r1 goes to the empty replica 1, which starts at once.
    requests = [_request(0, 0.0, 4, 1), _request(1, 0.005, 4, 1)]
    recs = serve_replicas(resolve("tokenmaxxing"), ROOMY, requests, lambda: STEP_10MS.step_seconds, replicas=2,
                          router="least-outstanding-tokens")
    assert _served_by(recs) == {0: 0, 1: 1}
    first_token = {row[0]: row[3] for rec in recs for row in rec.requests}
    assert first_token == pytest.approx({0: 0.01, 1: 0.015})


def test_replicas_share_the_load_and_the_summary_covers_the_fleet():
    requests = _online(40, 0.004, seed=3)
    one = simulate_strategy(resolve("tokenmaxxing"), ROOMY, requests, VARIED)
    four = simulate_strategy(resolve("tokenmaxxing"), ROOMY, requests, VARIED, replicas=4,
                             router="least-outstanding-tokens")
    assert four.summary["completed"] == one.summary["completed"] == 40
    assert sorted(four.tables["steps"]["replica"].unique()) == [0, 1, 2, 3]
    assert four.summary["median_ttft_ms"] < one.summary["median_ttft_ms"]
    assert four.describe()["replicas"] == 4 and four.describe()["router"] == "least-outstanding-tokens"


class Idle(Strategy):
    """Accepts requests and never plans them: a bug the loop must report, not wait on forever."""

    name, kv_layout = "idle", "contiguous"

    def __init__(self, config, kv):
        super().__init__(config, kv)
        self.seqs = []

    def add(self, seq):
        self.seqs.append(seq)

    def plan(self, now):
        return None

    def has_work(self):
        return bool(self.seqs)


def test_a_strategy_that_stalls_is_still_caught_behind_the_router():
    with pytest.raises(EngineError, match="unfinished work but planned nothing"):
        serve_replicas(Idle, ROOMY, _online(3, 0.01), lambda: STEP_10MS.step_seconds, replicas=2,
                       router="round-robin")
