"""Each built-in strategy follows the rules its docstring states, on random workloads.

Token identity is blind to scheduling (a broken watermark still produces the right tokens), so these
tests watch the policy itself: the real loop and strategies, a runner that computes nothing and a
virtual clock (tests/policy/harness.py), and every plan checked against the rule.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from policy.harness import Case, Planned, cases, serve
from tokbench.strategies.ffd_packing import ALIGN
from tokbench.workload.types import Request

ALL = ("static-padded", "continuous", "continuous-paged", "ffd-packing", "tokenmaxxing", "tokenmaxxing-nochunk")
PAGED = ("continuous-paged", "tokenmaxxing", "tokenmaxxing-nochunk")
FCFS = ("static-padded", "continuous", "continuous-paged", "tokenmaxxing", "tokenmaxxing-nochunk")
WHOLE_PREFILLS = ("continuous", "continuous-paged", "tokenmaxxing-nochunk")

random_cases = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _running_after(p: Planned) -> list:
    return p.queue("running", "after") + p.queue("joining", "after")


@pytest.mark.parametrize("name", ALL)
@random_cases
@given(case=cases())
def test_no_step_holds_more_rows_than_max_num_seqs(name, case: Case):
    _, planned = serve(name, case)
    assert all(len(p.chunks) <= case.max_num_seqs for p in planned)


@pytest.mark.parametrize("name", ("continuous", "continuous-paged", "tokenmaxxing", "tokenmaxxing-nochunk"))
@random_cases
@given(case=cases())
def test_steps_stay_within_the_token_budget(name, case: Case):
    """tokenmaxxing never exceeds max_batch_tokens; whole-prefill strategies only by one prompt that is
    longer than the whole budget (it could never fit, so it runs without other prefills). Continuous
    batching budgets its joiners' prefill steps; its decode steps hold every running request."""
    _, planned = serve(name, case)
    for p in planned:
        if p.real_tokens <= case.max_batch_tokens:
            continue
        if name.startswith("continuous") and not any(c.is_prefill for c in p.chunks):
            assert len(p.chunks) <= case.max_num_seqs
            continue
        assert name != "tokenmaxxing", f"{p.real_tokens} tokens in a step, budget {case.max_batch_tokens}"
        prefills = [c for c in p.chunks if c.is_prefill]
        assert len(prefills) == 1 and prefills[0].length > case.max_batch_tokens, p.ids


@random_cases
@given(case=cases())
def test_tokenmaxxing_prefill_chunks_are_at_most_chunk_size(case: Case):
    _, planned = serve("tokenmaxxing", case)
    assert all(c.length <= case.knobs["chunk_size"] for p in planned for c in p.chunks)


@pytest.mark.parametrize("name", WHOLE_PREFILLS)
@random_cases
@given(case=cases())
def test_whole_prefill_strategies_prefill_whole_prompts(name, case: Case):
    _, planned = serve(name, case)
    for p in planned:
        for c in p.chunks:
            if c.is_prefill:
                assert c.start == 0 and c.length == c.seq.num_tokens, (c.seq, c.start, c.length)


@pytest.mark.parametrize("name", ("continuous", "continuous-paged"))
@random_cases
@given(case=cases())
def test_continuous_joiners_prefill_in_steps_of_their_own(name, case: Case):
    _, planned = serve(name, case)
    assert all(len({c.is_prefill for c in p.chunks}) == 1 for p in planned)


@pytest.mark.parametrize("name", ("tokenmaxxing", "tokenmaxxing-nochunk"))
@random_cases
@given(case=cases())
def test_tokenmaxxing_schedules_decodes_before_prefills(name, case: Case):
    """In each step the decodes come first, and a prefill gets budget only once every running sequence
    ready to decode has its token. Ready to decode: running, with one token left to compute (a
    prompt's last token counts, as it does for the strategy), and not preempted for room in this step
    (a preempted one may rejoin the same step, as a prefill)."""
    _, planned = serve(name, case)
    for p in planned:
        ready = {s.seq_id for s in p.queue("running") if s.num_tokens - s.num_computed == 1} - set(p.preempted)
        kinds = [c.seq.seq_id in ready for c in p.chunks]
        assert kinds == sorted(kinds, reverse=True), "a decode after a prefill"
        if not all(kinds):
            assert ready <= set(p.ids)


@pytest.mark.parametrize("name", PAGED)
@random_cases
@given(case=cases())
def test_admission_stops_at_the_watermark(name, case: Case):
    """A request admitted while others run leaves at least the watermark's blocks free."""
    strategy, planned = serve(name, case)
    for p in planned:
        before = {s.seq_id for q in ("running", "joining") for s in p.queue(q)}
        admitted = [i for i in p.ids if i not in before]
        if admitted and len(_running_after(p)) > 1:
            assert p.free_blocks_after >= strategy.keep_free, (admitted, p.free_blocks_after, strategy.keep_free)


@pytest.mark.parametrize("name", FCFS)
@random_cases
@given(case=cases())
def test_fcfs_starts_requests_in_arrival_order(name, case: Case):
    _, planned = serve(name, case, order="fcfs")
    for p in planned:
        started = [c.seq for c in p.chunks if not c.seq.started]
        still_waiting = [s for s in p.queue("waiting", "after") if not s.started]
        for s in started:
            assert all((s.arrival_s, s.seq_id) <= (w.arrival_s, w.seq_id) for w in still_waiting), s


@random_cases
@given(case=cases())
def test_sjf_starts_the_shortest_waiting_prompt_first(case: Case):
    _, planned = serve("tokenmaxxing", case, order="sjf")
    for p in planned:
        started = [c.seq for c in p.chunks if not c.seq.started]
        still_waiting = [s for s in p.queue("waiting", "after") if not s.started]
        for s in started:
            assert all(s.prompt_len <= w.prompt_len for w in still_waiting), (s, still_waiting)


def _check_newest_preempted_first(planned: list[Planned]) -> int:
    """Each victim is the newest running request not yet given tokens in this step; returns how many."""
    count = 0
    for p in planned:
        order = [s.seq_id for s in p.queue("running")]
        for victim, candidates in p.preemptions:
            assert victim == max(candidates, key=order.index), (order, victim, candidates)
            count += 1
    return count


@pytest.mark.parametrize("name", PAGED)
@random_cases
@given(case=cases())
def test_the_newest_running_request_is_preempted_first(name, case: Case):
    _check_newest_preempted_first(serve(name, case)[1])


@pytest.mark.parametrize("name", PAGED)
def test_a_tight_kv_budget_makes_paged_strategies_preempt(name):
    """The rule above is exercised: twelve requests that grow past a KV budget for about three."""
    requests = tuple(Request(i, 0.0, tuple(range(4, 24)), 40) for i in range(12))
    case = Case(requests, max_num_seqs=12, max_batch_tokens=256, block_size=4, kv_budget_tokens=192,
                max_model_len=64, knobs={"watermark": 0.0})
    assert _check_newest_preempted_first(serve(name, case)[1]) > 0


def _first_fit_decreasing_first_bin(footprints: list[int], capacity: int) -> list[int]:
    """The first bin of FFD, written out: items largest first, each into the bin if it still fits."""
    chosen, free = [], capacity
    for size in sorted(footprints, reverse=True):
        if size <= free:
            chosen.append(size)
            free -= size
    return chosen


@random_cases
@given(case=cases())
def test_ffd_bins_are_first_fit_decreasing_and_never_over_capacity(case: Case):
    _, planned = serve("ffd-packing", case)
    capacity = min(case.knobs["bin_tokens"] or case.kv_budget_tokens, case.kv_budget_tokens)
    starts = [p for p in planned if not p.queue("bin")]
    assert starts, "every run starts a bin"
    for p in starts:
        footprint = {s.seq_id: -(-s.final_len // ALIGN) * ALIGN for s in p.queue("waiting")}
        members = sorted((footprint[i] for i in p.ids), reverse=True)
        assert sum(members) <= capacity
        expected = _first_fit_decreasing_first_bin(list(footprint.values()), capacity)
        assert members == expected[: case.max_num_seqs]


def _done_after(c) -> bool:
    """The chunk's request is finished once this step has run."""
    return c.seq.finished or (c.samples and c.seq.num_tokens + 1 >= c.seq.final_len)


@random_cases
@given(case=cases())
def test_static_padded_keeps_finished_rows_until_its_batch_ends(case: Case):
    """A batch's rows stay in every step, in order, a finished request as an empty row, until all finish."""
    _, planned = serve("static-padded", case)
    rows: list[int] = []
    for p in planned:
        if not rows:  # a new batch: its prefill
            assert all(c.is_prefill for c in p.chunks)
            rows = p.ids
        else:
            assert p.ids == rows, "the batch's rows changed before it ended"
            assert all(c.length == (0 if c.seq.finished else 1) for c in p.chunks)
        if all(_done_after(c) for c in p.chunks):
            rows = []
    assert not rows


@random_cases
@given(case=cases())
def test_continuous_refills_a_free_slot_at_the_next_step(case: Case):
    strategy, planned = serve("continuous", case)
    for p in planned:
        busy = len(p.queue("running")) + len(p.queue("joining"))
        waiting = p.queue("waiting")
        if waiting and busy < strategy.slots:
            assert p.ids[0] == waiting[0].seq_id and p.chunks[0].is_prefill, "a free slot was left empty"


@pytest.mark.parametrize("name", ALL)
@random_cases
@given(case=cases())
def test_no_step_holds_more_tokens_than_the_strategy_declares(name, case: Case):
    """largest_step_tokens sizes GPU activation memory (and so, the KV budget every strategy gets):
    a step beyond it could run out of memory, a bound far above every step wastes KV."""
    from tokbench.benchmark.strategy_registry import resolve
    from tokbench.engine.policy import PromptStats

    _, planned = serve(name, case)
    prompts = [r.prompt_len for r in case.requests]
    bound = resolve(name).largest_step_tokens(case.config(), PromptStats(longest=max(prompts), total=sum(prompts)))
    for p in planned:  # a padded step computes its whole rectangle
        assert (len(p.chunks) * p.padded_len if p.layout == "padded" else p.real_tokens) <= bound, p.ids
