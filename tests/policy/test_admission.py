"""tokenmaxxing's admission knob: how much of a new request's KV must fit before it is admitted, and
what that does to preemption and recomputation under memory pressure (strategies/tokenmaxxing.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from policy.harness import Case, Planned, cases, serve
from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.clock import VirtualClock
from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.loop import run_loop
from tokbench.engine.null_runner import NullRunner
from tokbench.workload.types import Request

random_cases = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Twelve long prompts, short outputs, a KV budget for about four of them, small chunks: admitting on
# the first chunk lets all twelve in, and they outgrow the budget as their prompts are prefilled.
LONG_PROMPTS = Case(tuple(Request(i, 0.0, tuple(range(4, 44)), 8) for i in range(12)), max_num_seqs=12,
                    max_batch_tokens=64, block_size=4, kv_budget_tokens=192, max_model_len=48,
                    knobs={"watermark": 0.0, "chunk_size": 8})


def _admitted(p: Planned) -> list[int]:
    before = {s.seq_id for s in p.queue("running")}
    return [i for i in p.ids if i not in before]


def _admitted_without_their_prompt(planned: list[Planned]) -> int:
    return sum(p.unheld_blocks_after[i] > 0 for p in planned for i in _admitted(p))


@random_cases
@given(case=cases())
def test_prompt_admission_gives_a_request_its_whole_prompt_at_once(case: Case):
    _, planned = serve("tokenmaxxing", case, admission="prompt")
    assert _admitted_without_their_prompt(planned) == 0


def test_chunk_admission_admits_on_the_first_chunk_only():
    """The check above can fail: admitting on the first chunk leaves the rest of the prompt unheld."""
    _, planned = serve("tokenmaxxing", LONG_PROMPTS, admission="chunk")
    assert _admitted_without_their_prompt(planned) > 0


@random_cases
@given(case=cases())
def test_final_admission_never_preempts(case: Case):
    """Every running request's final length fits at once, so growth never needs another's blocks."""
    strategy, planned = serve("tokenmaxxing", case, admission="final")
    assert strategy.num_preemptions == 0
    for p in planned:
        finals = sum(strategy.kv.blocks_for(s.final_len) for s in p.queue("running", "after"))
        assert finals <= strategy.kv.num_blocks, (finals, strategy.kv.num_blocks)


def _recorded(admission: str) -> dict:
    """LONG_PROMPTS served under tokenmaxxing with `admission`, through the real loop; its tables."""
    config = LONG_PROMPTS.config(admission=admission)
    strategy = resolve("tokenmaxxing")(config, PagedKV(config.kv_budget_tokens, config.block_size))
    clock = VirtualClock()
    return run_loop(strategy, list(LONG_PROMPTS.requests), NullRunner(clock, lambda plan: 1e-3), clock).tables()


@pytest.mark.parametrize("admission", ["chunk", "prompt", "final"])
def test_recomputed_tokens_are_what_the_steps_computed_beyond_each_request(admission):
    """Σ real tokens = Σ (prompt + outputs − 1) + the tokens preemptions made it compute again."""
    tables = _recorded(admission)
    requests, steps = tables["requests"], tables["steps"]
    minimal = (requests["prompt_len"] + requests["output_len"] - 1).sum()
    assert steps["real_tokens"].sum() == minimal + requests["recomputed_tokens"].sum()
    assert (requests["recomputed_tokens"] > 0).sum() <= requests["preemptions"].sum()


def test_admitting_whole_footprints_bounds_recomputation():
    recomputed = {a: _recorded(a)["requests"]["recomputed_tokens"].sum() for a in ("chunk", "prompt", "final")}
    assert recomputed["chunk"] > 0
    assert recomputed["prompt"] < recomputed["chunk"]
    assert recomputed["final"] == 0
