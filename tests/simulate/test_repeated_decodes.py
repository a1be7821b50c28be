"""Repeated decode steps (Strategy.decode_repeats): the loop's shortcut records exactly what planning
every step records, for every strategy, under arrivals, preemptions, sjf and whole prefills."""

from dataclasses import replace

import pandas as pd
import pytest

from tests.conftest import mixed_requests
from tests.simulate.conftest import KNOBS, SYNTHETIC_SECONDS, TINY_TARGET
from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.clock import VirtualClock
from tokbench.engine.engine import new_kv
from tokbench.engine.loop import run_loop
from tokbench.engine.null_runner import NullRunner
from tokbench.engine.policy import SchedulerConfig
from tokbench.model.presets import PRESETS
from tokbench.simulate.linear import LinearStepModel
from tokbench.simulate.roofline import RooflineModel

ALL = ("static-padded", "continuous", "continuous-paged", "ffd-packing", "tokenmaxxing", "tokenmaxxing-nochunk")
LINEAR = LinearStepModel(TINY_TARGET, SYNTHETIC_SECONDS)
ROOFLINE = RooflineModel.build("H100-SXM", PRESETS["tiny"])
ROOMY = SchedulerConfig(kv_budget_tokens=8192, max_model_len=256, max_num_seqs=16, max_batch_tokens=128,
                        knobs={"chunk_size": 48})
# Tight: paged strategies preempt (checked below), contiguous ones queue.
TIGHT = replace(KNOBS, kv_budget_tokens=400, max_model_len=140)


def _offline(n=30, seed=3):
    return mixed_requests(n, seed=seed, max_prompt=80, max_output=60)


def _online(n=40, gap_s=0.004, seed=4):
    return [replace(r, arrival_s=i * gap_s) for i, r in enumerate(_offline(n, seed))]


class CountingRunner(NullRunner):
    planned = 0

    def execute(self, plan, kv):
        self.planned += 1
        return super().execute(plan, kv)


def _serve(name, config, requests, cost_model, repeat):
    cls = resolve(name)
    if {"order", "chunked_prefill", "admission"} & set(config.knobs):
        config = replace(config, knobs={k: v for k, v in config.knobs.items()
                                        if k in {s.name for s in cls.knob_specs}})
    clock = VirtualClock()
    runner = CountingRunner(clock, cost_model.step_seconds, cost_model.shape_seconds)
    rec = run_loop(cls(config, new_kv(cls, config)), requests, runner, clock, repeat_decodes=repeat)
    return rec.tables(), runner.planned


CASES = {
    "offline-roomy": (ROOMY, _offline, LINEAR),
    "online-roomy": (ROOMY, _online, ROOFLINE),
    "offline-tight": (TIGHT, _offline, LINEAR),
    "online-tight": (TIGHT, _online, LINEAR),
    "sjf-whole-prefills": (replace(TIGHT, knobs={**TIGHT.knobs, "order": "sjf", "chunked_prefill": False}),
                           _online, ROOFLINE),
    "chunk-admission": (replace(TIGHT, knobs={**TIGHT.knobs, "admission": "chunk"}), _offline, LINEAR),
    "final-admission": (replace(TIGHT, knobs={**TIGHT.knobs, "admission": "final"}), _online, LINEAR),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ALL)
def test_repeated_decodes_record_what_planning_every_step_records(name, case):
    config, requests, cost_model = CASES[case]
    requests = requests()
    reference, planned_all = _serve(name, config, requests, cost_model, repeat=False)
    repeated, planned = _serve(name, config, requests, cost_model, repeat=True)
    for table in ("steps", "requests", "tokens"):
        pd.testing.assert_frame_equal(repeated[table], reference[table], check_exact=True)
    assert planned_all == len(reference["steps"])
    assert planned < planned_all  # the shortcut was taken


def test_the_tight_cases_preempt_and_the_online_ones_interrupt_decode_runs():
    for name in ("tokenmaxxing", "continuous-paged"):
        steps, _ = _serve(name, TIGHT, _offline(), LINEAR, repeat=False)
        assert steps["steps"]["preemptions"].sum() > 0
    steps, _ = _serve("continuous", ROOMY, _online(), ROOFLINE, repeat=False)
    kinds = steps["steps"]["kind"].tolist()
    assert "decode" in kinds[kinds.index("prefill", 1):]  # prefills of arrivals come between decode runs
