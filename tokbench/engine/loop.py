"""The loop: admit arrived requests, ask the strategy for a plan, run it, record, repeat.

`run_loop` serves a list of requests to the end. `Serving` is the same loop one iteration at a
time, for a caller that hands requests over as they arrive (a router in front of several
simulated replicas); both run the one `Serving.step`.
"""

from __future__ import annotations

import math
from itertools import accumulate
from typing import Callable

import numpy as np

from tokbench.engine.clock import Clock, VirtualClock
from tokbench.engine.recorder import Recorder, StepCounts
from tokbench.engine.sequence import Sequence
from tokbench.engine.step_columns import step_scope
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
                 on_step: Callable[[int], None] | None = None, *, repeat_decodes: bool = True):
        self.strategy, self.runner, self.clock, self.on_step = strategy, runner, clock, on_step
        # Runs of identical decode steps without plans (_repeat), where the runner can: simulation.
        self.repeat_decodes = repeat_decodes and getattr(runner, "repeats", False)
        self.rec = Recorder()
        self.pending: list[Request] = []  # in arrival order; [admitted:] have not arrived yet
        self.admitted = 0
        self.closed = False  # no more requests will be added

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
        strategy, clock, pending, rec, kv = self.strategy, self.clock, self.pending, self.rec, self.strategy.kv
        now = clock.now()
        while self.admitted < len(pending) and pending[self.admitted].arrival_s <= now:
            seq = Sequence(pending[self.admitted])
            strategy.check_fits(seq)
            strategy.add(seq)
            self.admitted += 1
        preempted_before = strategy.num_preemptions
        finished_before = len(rec.requests)
        plan = strategy.plan(now)
        schedule_end = clock.now()
        if plan is None:
            if self.admitted < len(pending):
                clock.sleep_until(pending[self.admitted].arrival_s)
                return True
            if self.closed:
                raise EngineError(f"strategy {strategy.name!r} has unfinished work but planned nothing")
            return False
        with step_scope(plan) as cols:  # the plan's chunks, read once for the runner and the records
            counts = StepCounts.of(cols)
            seqs, lengths = cols.seqs, cols.lengths
            if counts.decode_tokens < len(seqs):  # a decode chunk's sequence was scheduled before
                for seq, n in zip(seqs, lengths):
                    if n and seq.first_scheduled_s is None:
                        seq.first_scheduled_s = schedule_end
            out = self.runner.execute(plan, kv)
            clock.sync()
            end = clock.now()
            # Recorded before sequences advance: kv_used counts this step's tokens as stored.
            rec.step(plan, counts, start_s=schedule_end, end_s=end, schedule_s=schedule_end - now,
                     prepare_s=out.prepare_s, kv_used=kv.used_tokens() + counts.real_tokens,
                     kv_reserved=kv.reserved_tokens(), kv_capacity=kv.capacity,
                     token_budget=strategy.config.max_batch_tokens,
                     preemptions=strategy.num_preemptions - preempted_before)
            sampled, finished = [], []
            for seq, n, token in zip(seqs, lengths, out.tokens):
                seq.num_computed += n
                if token is not None:
                    seq.token_ids.append(token)
                    sampled.append(seq)
                    if seq.first_token_s is None:
                        seq.first_token_s = end
                    if len(seq.token_ids) - seq.prompt_len >= seq.max_tokens:
                        finished.append(seq)
            rec.tokens_sampled(sampled, end)
            for seq in finished:
                rec.finish(seq, end)
        strategy.step_done(plan)
        if (self.repeat_decodes and self.closed and not counts.prefill_tokens and counts.decode_tokens
                and len(rec.requests) == finished_before):
            self._repeat(plan, counts, cols)
        if self.on_step is not None:
            self.on_step(len(rec.requests))
        return True

    def _repeat(self, plan, counts: StepCounts, cols) -> None:
        """Run again the decode-only step just run, as many times as the strategy promises it would plan
        it (Strategy.decode_repeats), up to the next arrival or the first step a sequence finishes in:
        the same records, step by step, without building the plans or reading their chunks again."""
        strategy = self.strategy
        repeats = strategy.decode_repeats(plan)
        if repeats < 1:
            return
        live = [seq for seq, n in zip(cols.seqs, cols.lengths) if n]
        repeats = min(repeats, min([q.max_tokens - len(q.token_ids) + q.prompt_len for q in live]))
        pending, clock, runner, kv = self.pending, self.clock, self.runner, strategy.kv
        waits = self.admitted == len(pending) or strategy.arrivals_wait(plan)
        arrival = math.inf if waits else pending[self.admitted].arrival_s
        m, layout, padded_len, batch = len(live), plan.layout, plan.padded_len, len(plan.chunks)
        # In the j-th repeat every decoding context is j tokens longer; an empty padded row's stays.
        span = max([s + n for s, n in zip(cols.starts, cols.lengths) if n])
        empty_span = max([s for s, n in zip(cols.starts, cols.lengths) if not n], default=0)
        pairs, read, padded = counts.attention_pairs, counts.kv_read_tokens, counts.padded_tokens
        j = np.arange(1, repeats + 1, dtype=np.int64)
        seconds = runner.repeat_seconds(layout, padded_len, batch, StepCounts(
            "decode", m, padded, 0, m, m, pairs + j * m, read + j * m, np.maximum(span + j, empty_span)))
        # The virtual clock's own additions, one after another (cumsum adds in order, as the clock does).
        times = np.cumsum(np.concatenate([[clock.now()], seconds]))
        # An arrival is admitted before the step that starts at or after it, and may change that plan.
        steps = int(np.searchsorted(times[:-1], arrival, side="left"))
        if not steps:
            return
        start, ends = float(times[0]), times[1:steps + 1].tolist()
        clock.sleep_until(ends[-1])
        reserved, new = kv.reserved_tokens(), strategy.repeated(plan, steps)
        reserved = [reserved] * steps if new is None else list(accumulate(new, initial=reserved))[1:]
        self.rec.repeated(live, start, ends, reserved, layout=layout, batch=batch, padded=padded,
                          pairs=pairs, read=read, span=span, empty_span=empty_span, kv_used=kv.used_tokens(),
                          kv_capacity=kv.capacity, token_budget=strategy.config.max_batch_tokens)
        tokens = [runner.repeat_token] * steps
        for q in live:
            q.num_computed += steps
            q.token_ids.extend(tokens)
            if q.finished:
                self.rec.finish(q, ends[-1])
        strategy.step_done(plan)

    def finish(self) -> Recorder:
        """The records, once every request is served and the strategy gave all its KV back."""
        kv = self.strategy.kv
        if kv.reserved_tokens() or kv.num_holders:
            raise EngineError(f"strategy {self.strategy.name!r} ended with {kv.reserved_tokens()} KV slots still reserved")
        return self.rec


def run_loop(strategy: Strategy, requests: list[Request], runner, clock: Clock | VirtualClock,
             on_step: Callable[[int], None] | None = None, *, repeat_decodes: bool = True) -> Recorder:
    """Serve `requests` under `strategy` until all are done; returns the records.

    `repeat_decodes=False` plans every step, even where the strategy promised repeats (the reference
    the shortcut is tested against)."""
    serving = Serving(strategy, runner, clock, on_step, repeat_decodes=repeat_decodes)
    for request in sorted(requests, key=lambda r: (r.arrival_s, r.request_id)):
        serving.add(request)
    serving.close()
    clock.start()
    while serving.busy:
        serving.step()
    return serving.finish()
