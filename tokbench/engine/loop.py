"""The loop: admit arrived requests, ask the strategy for a plan, run it, record, repeat."""

from __future__ import annotations

from typing import Callable

from tokbench.engine.clock import Clock, VirtualClock
from tokbench.engine.recorder import Recorder
from tokbench.engine.sequence import Sequence
from tokbench.engine.policy import Strategy
from tokbench.workload.types import Request


class EngineError(RuntimeError):
    """The engine or a strategy broke an invariant (a bug, not a user mistake)."""


def run_loop(strategy: Strategy, requests: list[Request], runner, clock: Clock | VirtualClock,
             on_step: Callable[[int], None] | None = None) -> Recorder:
    """Serve `requests` (sorted by arrival) under `strategy`; returns the records.

    `runner` has `execute(plan, kv) -> StepOutput`: the model runner, or a NullRunner for policy
    tests and simulation (with a VirtualClock that it advances).
    """
    rec = Recorder()
    pending = sorted(requests, key=lambda r: (r.arrival_s, r.request_id))
    first_token: dict[int, float] = {}
    kv = strategy.kv
    nxt = 0
    clock.start()
    while nxt < len(pending) or strategy.has_work():
        now = clock.now()
        while nxt < len(pending) and pending[nxt].arrival_s <= now:
            seq = Sequence(pending[nxt])
            strategy.check_fits(seq)
            strategy.add(seq)
            nxt += 1
        preempted_before = strategy.num_preemptions
        plan = strategy.plan(now)
        schedule_end = clock.now()
        if plan is None:
            if nxt < len(pending):
                clock.sleep_until(pending[nxt].arrival_s)
                continue
            raise EngineError(f"strategy {strategy.name!r} has unfinished work but planned nothing")
        for chunk in plan.chunks:
            if chunk.length and chunk.seq.first_scheduled_s is None:
                chunk.seq.first_scheduled_s = schedule_end
        out = runner.execute(plan, kv)
        clock.sync()
        end = clock.now()
        # Recorded before sequences advance: the prefill/decode split reads their current state.
        rec.step(plan, start_s=schedule_end, end_s=end, schedule_s=schedule_end - now,
                 prepare_s=out.prepare_s,
                 kv_used=kv.used_tokens() + plan.real_tokens, kv_reserved=kv.reserved_tokens(),
                 kv_capacity=kv.capacity, token_budget=strategy.config.max_batch_tokens,
                 preemptions=strategy.num_preemptions - preempted_before)
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
        if on_step is not None:
            on_step(len(rec.requests))
    if kv.reserved_tokens() or kv.num_holders:
        raise EngineError(f"strategy {strategy.name!r} ended with {kv.reserved_tokens()} KV slots still reserved")
    return rec
