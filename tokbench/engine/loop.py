"""The loop: admit arrived requests, ask the strategy for a plan, run it, record, repeat.

`run_loop` serves a list of requests to the end. `Serving` is the same loop one iteration at a
time, for a caller that hands requests over as they arrive (a router in front of several
simulated replicas); both run the one `Serving.step`.
"""

from __future__ import annotations

from typing import Callable

from tokbench.engine.clock import Clock, VirtualClock
from tokbench.engine.recorder import Recorder
from tokbench.engine.sequence import Sequence
from tokbench.engine.policy import Strategy
from tokbench.workload.types import Request


class EngineError(RuntimeError):
    """The engine or a strategy broke an invariant (a bug, not a user mistake)."""


class Serving:
    """One strategy serving requests on one runner and clock, advanced by `step()`.

    `runner` has `execute(plan, kv) -> StepOutput`: the model runner, or a NullRunner for policy
    tests and simulation (with a VirtualClock that it advances).
    """

    def __init__(self, strategy: Strategy, runner, clock: Clock | VirtualClock,
                 on_step: Callable[[int], None] | None = None):
        self.strategy, self.runner, self.clock, self.on_step = strategy, runner, clock, on_step
        self.rec = Recorder()
        self.pending: list[Request] = []  # in arrival order; [admitted:] have not arrived yet
        self.admitted = 0
        self.closed = False  # no more requests will be added
        self._first_token: dict[int, float] = {}

    def add(self, request: Request) -> None:
        """Hand over a request; requests must come in arrival order."""
        self.pending.append(request)

    def close(self) -> None:
        self.closed = True

    @property
    def busy(self) -> bool:
        return self.admitted < len(self.pending) or self.strategy.has_work()

    def step(self) -> bool:
        """One iteration: admit what has arrived, plan, then run the plan or wait for the next arrival.

        False (nothing happened) when the strategy planned nothing and no request is pending, which
        is a bug once the input is closed, and otherwise waits for the caller to add a request.
        """
        strategy, clock, pending, rec = self.strategy, self.clock, self.pending, self.rec
        now = clock.now()
        while self.admitted < len(pending) and pending[self.admitted].arrival_s <= now:
            seq = Sequence(pending[self.admitted])
            strategy.check_fits(seq)
            strategy.add(seq)
            self.admitted += 1
        preempted_before = strategy.num_preemptions
        plan = strategy.plan(now)
        schedule_end = clock.now()
        if plan is None:
            if self.admitted < len(pending):
                clock.sleep_until(pending[self.admitted].arrival_s)
                return True
            if self.closed:
                raise EngineError(f"strategy {strategy.name!r} has unfinished work but planned nothing")
            return False
        for chunk in plan.chunks:
            if chunk.length and chunk.seq.first_scheduled_s is None:
                chunk.seq.first_scheduled_s = schedule_end
        kv = strategy.kv
        out = self.runner.execute(plan, kv)
        clock.sync()
        end = clock.now()
        # Recorded before sequences advance: the prefill/decode split reads their current state.
        rec.step(plan, start_s=schedule_end, end_s=end, schedule_s=schedule_end - now,
                 prepare_s=out.prepare_s,
                 kv_used=kv.used_tokens() + plan.real_tokens, kv_reserved=kv.reserved_tokens(),
                 kv_capacity=kv.capacity, preemptions=strategy.num_preemptions - preempted_before)
        first_token = self._first_token
        for chunk, token in zip(plan.chunks, out.tokens):
            seq = chunk.seq
            seq.num_computed += chunk.length
            if token is not None:
                seq.token_ids.append(token)
                rec.token(seq, end)
                first_token.setdefault(seq.seq_id, end)
                if seq.finished:
                    rec.finish(seq, first_token[seq.seq_id], end)
        strategy.step_done(plan)
        if self.on_step is not None:
            self.on_step(len(rec.requests))
        return True

    def finish(self) -> Recorder:
        """The records, once every request is served and the strategy gave all its KV back."""
        kv = self.strategy.kv
        if kv.reserved_tokens() or kv.num_holders:
            raise EngineError(f"strategy {self.strategy.name!r} ended with {kv.reserved_tokens()} KV slots still reserved")
        return self.rec


def run_loop(strategy: Strategy, requests: list[Request], runner, clock: Clock | VirtualClock,
             on_step: Callable[[int], None] | None = None) -> Recorder:
    """Serve `requests` under `strategy` until all are done; returns the records."""
    serving = Serving(strategy, runner, clock, on_step)
    for request in sorted(requests, key=lambda r: (r.arrival_s, r.request_id)):
        serving.add(request)
    serving.close()
    clock.start()
    while serving.busy:
        serving.step()
    return serving.finish()
