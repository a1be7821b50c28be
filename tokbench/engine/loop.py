"""The loop: admit arrived requests, ask the strategy for a plan, run it, record, repeat."""

from __future__ import annotations

from typing import Callable

from tokbench.engine.clock import Clock, VirtualClock
from tokbench.engine.recorder import Recorder, StepCounts
from tokbench.engine.sequence import Sequence
from tokbench.engine.step_columns import step_scope
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
        with step_scope(plan) as cols:  # the plan's chunks, read once for the runner and the records
            counts = StepCounts.of(cols)
            seqs, lengths = cols.seqs, cols.lengths
            if counts.decode_tokens < len(seqs):  # a decode chunk's sequence was scheduled before
                for seq, n in zip(seqs, lengths):
                    if n and seq.first_scheduled_s is None:
                        seq.first_scheduled_s = schedule_end
            out = runner.execute(plan, kv)
            clock.sync()
            end = clock.now()
            # Recorded before sequences advance: kv_used counts this step's tokens as stored.
            rec.step(plan, counts, start_s=schedule_end, end_s=end, schedule_s=schedule_end - now,
                     prepare_s=out.prepare_s, kv_used=kv.used_tokens() + counts.real_tokens,
                     kv_reserved=kv.reserved_tokens(), kv_capacity=kv.capacity,
                     preemptions=strategy.num_preemptions - preempted_before)
            sampled = []
            for seq, n, token in zip(seqs, lengths, out.tokens):
                seq.num_computed += n
                if token is not None:
                    seq.token_ids.append(token)
                    sampled.append(seq)
            rec.tokens_sampled(sampled, end)
            for seq in sampled:
                if seq.first_token_s is None:
                    seq.first_token_s = end
                if len(seq.token_ids) - seq.prompt_len >= seq.max_tokens:
                    rec.finish(seq, end)
        strategy.step_done(plan)
        if on_step is not None:
            on_step(len(rec.requests))
    if kv.reserved_tokens() or kv.num_holders:
        raise EngineError(f"strategy {strategy.name!r} ended with {kv.reserved_tokens()} KV slots still reserved")
    return rec
