"""Replaying a real run's measured step times through the simulator gives back that run.

The real strategies plan in the simulator exactly the steps they planned on the real engine (the
schedule columns of the steps table are equal), and with the measured cycles as step times every
request's first-token and finish times, and so every latency and throughput metric, are the
measured ones.
"""

import numpy as np
import pandas as pd
import pytest

from tests.simulate.conftest import STRATEGIES, TINY_TARGET
from tokbench.benchmark.strategy_registry import resolve
from tokbench.metrics.summary import SLO, summarize
from tokbench.simulate.calibrate import step_cycles
from tokbench.simulate.replay import ReplayModel
from tokbench.simulate.run import simulate_strategy

TIMING = {"start_s", "end_s", "duration_s", "schedule_s", "prepare_s"}
REQUEST_METRICS = ("duration_s", "output_throughput", "request_throughput", "mean_ttft_ms", "median_ttft_ms",
                   "p99_ttft_ms", "mean_tpot_ms", "p99_tpot_ms", "mean_itl_ms", "p99_itl_ms", "mean_e2el_ms")


def _replayed(measured, name):
    tables, knobs, requests = measured
    real = tables[name]
    cycles = step_cycles(real["steps"], np.array([r.arrival_s for r in requests]))
    return real, simulate_strategy(resolve(name), knobs, requests, ReplayModel(TINY_TARGET, cycles))


@pytest.mark.parametrize("name", STRATEGIES)
def test_every_strategy_plans_the_same_steps_simulated_as_real(measured, name):
    real, sim = _replayed(measured, name)
    schedule = [c for c in real["steps"].columns if c not in TIMING]
    pd.testing.assert_frame_equal(sim.tables["steps"][schedule], real["steps"][schedule])
    if name == "tokenmaxxing":  # the knobs make it preempt and mix prefill with decode
        assert real["steps"]["preemptions"].sum() > 0 and (real["steps"]["kind"] == "mixed").any()


@pytest.mark.parametrize("name", STRATEGIES)
def test_replayed_step_times_reproduce_the_measured_requests(measured, name):
    real, sim = _replayed(measured, name)
    got = sim.tables["requests"]
    for column in ("request_id", "prompt_len", "output_len", "preemptions"):
        assert got[column].tolist() == real["requests"][column].tolist()
    for column in ("first_token_s", "finish_s"):
        np.testing.assert_allclose(got[column], real["requests"][column], rtol=0, atol=1e-9)
    np.testing.assert_allclose(sim.tables["tokens"]["time_s"], real["tokens"]["time_s"], rtol=0, atol=1e-9)
    want = summarize(real["requests"], real["steps"], real["tokens"], cost=TINY_TARGET.cost(),
                     peak_bandwidth=None, peak_flops=None, slo=SLO())
    for metric in REQUEST_METRICS:
        assert sim.summary[metric] == pytest.approx(want[metric], rel=1e-9), metric
