"""Every strategy yields, for every request, exactly the reference's greedy tokens (fp32, CPU).

Covers mixed lengths, chunked prefill (small chunk and budget), preemption (a KV budget too
small for the running set) and online arrivals.
"""

from dataclasses import replace

import pytest

from tests.conftest import mixed_requests
from tokbench.benchmark.strategy_registry import builtin_names, resolve
from tokbench.engine.engine import Engine
from tokbench.engine.policy import SchedulerConfig
from tokbench.engine.reference import reference_tokens

STRATEGIES = ["static-padded", "continuous", "ffd-packing", "tokenmaxxing"]


@pytest.fixture(scope="module")
def workload():
    return mixed_requests(20, seed=1)


@pytest.fixture(scope="module")
def reference(tiny_model, workload):
    return {r.request_id: reference_tokens(tiny_model, r) for r in workload}


SHARED = ("kv_budget_tokens", "max_model_len", "max_num_seqs", "max_batch_tokens", "block_size")


def _serve(tiny_model, name, requests, **settings):
    shared = {k: v for k, v in settings.items() if k in SHARED}
    knobs = {"chunk_size": 48, **{k: v for k, v in settings.items() if k not in SHARED}}
    cfg = SchedulerConfig(**{"kv_budget_tokens": 2048, "max_model_len": 256, "max_num_seqs": 8,
                             "max_batch_tokens": 128, **shared},
                          knobs={k: v for k, v in knobs.items() if k in {s.name for s in resolve(name).knob_specs}})
    engine = Engine(tiny_model, cfg.kv_budget_tokens)
    rec = engine.serve(resolve(name), cfg, requests)
    return rec


def test_all_builtins_are_registered():
    assert set(STRATEGIES) <= set(builtin_names())


@pytest.mark.parametrize("name", STRATEGIES)
def test_tokens_match_reference(tiny_model, workload, reference, name):
    rec = _serve(tiny_model, name, workload)
    assert rec.outputs == reference


def test_chunked_prefill_and_preemption_keep_tokens(tiny_model, workload, reference):
    # 320 slots cannot hold 8 running sequences of up to ~140 tokens: blocks run out mid-decode.
    rec = _serve(tiny_model, "tokenmaxxing", workload, kv_budget_tokens=320, chunk_size=16, max_batch_tokens=40,
                 watermark=0.0)
    steps = rec.tables()["steps"]
    assert steps["preemptions"].sum() > 0
    assert (steps["kind"] == "mixed").any()
    assert rec.outputs == reference
    requests = rec.tables()["requests"]
    assert requests["preemptions"].sum() == steps["preemptions"].sum()


@pytest.mark.parametrize("name", STRATEGIES)
def test_online_arrivals_keep_tokens(tiny_model, workload, reference, name):
    online = [replace(r, arrival_s=0.01 * i) for i, r in enumerate(workload[:8])]
    rec = _serve(tiny_model, name, online)
    assert rec.outputs == {r.request_id: reference[r.request_id] for r in online}
    req = rec.tables()["requests"]
    assert (req["first_scheduled_s"] >= req["arrival_s"]).all()


def test_sjf_order_keeps_tokens(tiny_model, workload, reference):
    assert _serve(tiny_model, "tokenmaxxing", workload, order="sjf").outputs == reference
