"""Drive a strategy through the real loop with a runner that computes nothing, and record every plan
together with the strategy's queues just before and just after it planned.

Sequences change as the run goes on, so everything a rule needs is copied at planning time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from hypothesis import strategies as st

from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.clock import VirtualClock
from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.loop import run_loop
from tokbench.engine.null_runner import NullRunner
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.engine.sequence import Sequence
from tokbench.workload.types import Request

QUEUES = ("waiting", "running", "joining", "batch", "bin")  # the queues the built-ins keep, where they have them
MAX_STEPS = 20_000  # ten times the most any case below needs (24 requests of 100 tokens, one token a step)


@dataclass(frozen=True)
class SeqState:
    seq_id: int
    arrival_s: float
    prompt_len: int
    num_tokens: int
    num_computed: int
    num_preemptions: int
    finished: bool
    final_len: int

    @property
    def started(self) -> bool:
        """Ever scheduled: it holds KV now or was preempted before."""
        return self.num_computed > 0 or self.num_preemptions > 0


@dataclass(frozen=True)
class ChunkState:
    seq: SeqState  # the sequence as it was when planned
    start: int
    length: int
    is_prefill: bool
    is_decode: bool
    samples: bool


@dataclass
class Planned:
    chunks: list[ChunkState]
    layout: str
    padded_len: int
    before: dict[str, list[SeqState]]  # queue name -> sequences in queue order, before plan()
    after: dict[str, list[SeqState]]
    free_blocks_after: int | None  # paged KV only
    preempted: list[int]  # sequences preempted while planning
    # Each preemption while planning: (victim, the running sequences not yet given KV in this step,
    # victim included, at that moment).
    preemptions: list[tuple[int, list[int]]]
    # Paged KV only: per scheduled sequence, blocks it still lacks to hold all its known tokens.
    unheld_blocks_after: dict[int, int] = field(default_factory=dict)

    @property
    def ids(self) -> list[int]:
        return [c.seq.seq_id for c in self.chunks]

    @property
    def real_tokens(self) -> int:
        return sum(c.length for c in self.chunks)

    def queue(self, name: str, when: str = "before") -> list[SeqState]:
        return (self.before if when == "before" else self.after).get(name, [])


def _state(seq: Sequence) -> SeqState:
    return SeqState(seq.seq_id, seq.request.arrival_s, seq.prompt_len, seq.num_tokens, seq.num_computed,
                    seq.num_preemptions, seq.finished, seq.final_len)


def _queues(strategy: Strategy) -> dict[str, list[SeqState]]:
    return {name: [_state(s) for s in getattr(strategy, name)] for name in QUEUES if hasattr(strategy, name)}


class Watched:
    """The strategy as the loop sees it, with plan() recorded, and its KV allocations and preemptions
    logged while it plans."""

    def __init__(self, strategy: Strategy):
        self.inner = strategy
        self.planned: list[Planned] = []
        self.seen: dict[int, Sequence] = {}
        self.allocated: set[int] = set()  # sequences given KV during the current plan()
        self.preemptions: list[tuple[int, list[int]]] = []
        allocate, preempt = strategy.kv.allocate if strategy.kv_layout == "paged" else None, strategy.preempt

        def logged_allocate(seq: Sequence, num_tokens: int) -> bool:
            ok = allocate(seq, num_tokens)
            if ok:
                self.allocated.add(seq.seq_id)
            return ok

        def logged_preempt(seq: Sequence) -> None:
            # The victim has already left `running`; the others there not yet given KV were candidates too.
            ungiven = [s.seq_id for s in strategy.running if s.seq_id not in self.allocated]
            self.preemptions.append((seq.seq_id, [*ungiven, seq.seq_id]))
            preempt(seq)

        if allocate is not None:
            strategy.kv.allocate = logged_allocate  # type: ignore[method-assign]
        strategy.preempt = logged_preempt  # type: ignore[method-assign]

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def add(self, seq: Sequence) -> None:
        self.seen[seq.seq_id] = seq
        self.inner.add(seq)

    def plan(self, now: float):
        before = _queues(self.inner)
        preemptions = {i: s.num_preemptions for i, s in self.seen.items()}
        self.allocated, self.preemptions = set(), []
        plan = self.inner.plan(now)
        if plan is None:
            return None
        preempted = [i for i, s in self.seen.items() if s.num_preemptions > preemptions[i]]
        chunks = [ChunkState(_state(c.seq), c.start, c.length, c.is_prefill, c.is_decode, c.samples) for c in plan.chunks]
        paged = self.inner.kv_layout == "paged"
        free = self.inner.kv.num_free_blocks if paged else None
        unheld = {c.seq.seq_id: self.inner.kv.blocks_needed(c.seq, c.seq.num_tokens) for c in plan.chunks} if paged else {}
        self.planned.append(Planned(chunks, plan.layout, plan.padded_len, before, _queues(self.inner), free,
                                    preempted, self.preemptions, unheld))
        return plan


@dataclass(frozen=True)
class Case:
    """A random workload and the limits it runs under."""

    requests: tuple[Request, ...]
    max_num_seqs: int
    max_batch_tokens: int
    block_size: int
    kv_budget_tokens: int
    max_model_len: int
    knobs: dict = field(default_factory=dict)

    def config(self, **knobs) -> SchedulerConfig:
        return SchedulerConfig(kv_budget_tokens=self.kv_budget_tokens, max_model_len=self.max_model_len,
                               max_num_seqs=self.max_num_seqs, max_batch_tokens=self.max_batch_tokens,
                               block_size=self.block_size, knobs={**self.knobs, **knobs})


_strategy = lru_cache(resolve)  # looking strategies up reads entry points: once per name is enough


def serve(name: str, case: Case, **knobs) -> tuple[Strategy, list[Planned]]:
    """Run `case` under the strategy called `name`; its plans, recorded."""
    cls = _strategy(name)
    config = case.config(**knobs)  # a strategy reads the knobs it declares and ignores the rest
    kv = PagedKV(config.kv_budget_tokens, config.block_size) if cls.kv_layout == "paged" \
        else ContiguousKV(config.kv_budget_tokens)
    strategy = Watched(cls(config, kv))
    clock = VirtualClock()

    def step_seconds(plan) -> float:
        # A strategy that stops making progress fails here instead of hanging the test run.
        assert len(strategy.planned) <= MAX_STEPS, f"{name} planned {MAX_STEPS} steps without finishing"
        return 1e-3 + 2e-5 * plan.computed_tokens  # time grows with the work, so arrivals interleave as on a device

    run_loop(strategy, list(case.requests), NullRunner(clock, step_seconds), clock)
    return strategy.inner, strategy.planned


@st.composite
def cases(draw, tight_kv: bool = True) -> Case:
    """Up to 24 requests, offline or arriving over a few steps, under limits small enough to bind."""
    n = draw(st.integers(1, 24))
    offline = draw(st.booleans())
    requests = []
    for i in range(n):
        prompt = draw(st.integers(1, 80))
        arrival = 0.0 if offline else draw(st.floats(0.0, 0.05, allow_nan=False))
        requests.append((arrival, prompt, draw(st.integers(1, 20))))
    requests.sort(key=lambda r: r[0])
    reqs = tuple(Request(i, a, tuple(range(4, 4 + p)), o) for i, (a, p, o) in enumerate(requests))
    longest = max(r.prompt_len + r.max_tokens for r in reqs)
    block_size = draw(st.sampled_from([1, 4, 16]))
    max_model_len = longest + draw(st.integers(0, 16))
    aligned = -(-max_model_len // 16) * 16  # room for the longest request in any layout (ffd aligns to 16)
    # A tight budget forces preemption (paged) and small batches (contiguous); a loose one admits widely.
    kv = aligned * draw(st.integers(1, 3) if tight_kv else st.integers(4, 12))
    return Case(reqs, max_num_seqs=draw(st.integers(1, 12)), max_batch_tokens=draw(st.integers(8, 160)),
                block_size=block_size, kv_budget_tokens=kv, max_model_len=max_model_len,
                knobs={"watermark": draw(st.sampled_from([0.0, 0.01, 0.2, 0.5])),
                       "chunk_size": draw(st.integers(1, 64)),
                       "bin_tokens": draw(st.sampled_from([None, aligned, 2 * aligned]))})
