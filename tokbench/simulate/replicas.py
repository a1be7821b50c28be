"""N data-parallel replicas behind a router, serving one workload on virtual clocks.

Each replica runs its own strategy instance in its own `Serving` loop on its own clock. Events are
taken in time order: an arrival is routed as soon as no replica's clock is behind it, and
otherwise the replica whose clock is earliest takes its next step. So when a request is routed at
its arrival time t, every replica has planned everything it would have planned before t, and at
most its last step (begun before t) has run past t: the router sees that replica as it was before
that step's results came out.

Routers: `round-robin` (arrival order, replica after replica) and `least-outstanding-tokens`
(the replica with the fewest tokens routed to it and not yet returned: for each unfinished
request, prompt + output tokens less the output tokens streamed so far; ties to the lowest index).
"""

from __future__ import annotations

import math
from typing import Callable

from tokbench.engine.clock import VirtualClock
from tokbench.engine.engine import new_kv
from tokbench.engine.loop import Serving
from tokbench.engine.null_runner import NullRunner
from tokbench.engine.plan import StepPlan
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.engine.recorder import Recorder
from tokbench.errors import UserError
from tokbench.workload.types import Request


class Replica:
    def __init__(self, strategy: type[Strategy], config: SchedulerConfig, step_seconds: Callable[[StepPlan], float]):
        self.clock = VirtualClock()
        self.serving = Serving(strategy(config, new_kv(strategy, config)), NullRunner(self.clock, step_seconds),
                               self.clock)
        self.idle = False  # planned nothing and nothing is pending: waits for the router
        self.routed_tokens = 0
        self._returned = 0  # prompt tokens of finished requests + every output token streamed
        self._seen_finished = 0
        self._returned_before_step = 0

    def add(self, request: Request) -> None:
        self.serving.add(request)
        self.routed_tokens += request.prompt_len + request.max_tokens
        self.idle = False

    def next_time(self) -> float:
        return self.clock.now() if self.serving.busy and not self.idle else math.inf

    def step(self) -> None:
        self._returned_before_step = self.returned_tokens()
        self.idle = not self.serving.step()

    def returned_tokens(self) -> int:
        finished = self.serving.rec.requests
        for row in finished[self._seen_finished:]:
            self._returned += row[5]  # prompt_len
        self._seen_finished = len(finished)
        return self._returned + self.serving.rec.num_tokens

    def outstanding_tokens(self, at_s: float) -> int:
        """Tokens routed here and not returned by time `at_s` (a step ending after it has not returned)."""
        returned = self._returned_before_step if self.clock.now() > at_s else self.returned_tokens()
        return self.routed_tokens - returned


def round_robin() -> Callable[[Request, list[Replica]], int]:
    count = 0

    def choose(request: Request, replicas: list[Replica]) -> int:
        nonlocal count
        count += 1
        return (count - 1) % len(replicas)

    return choose


def least_outstanding_tokens() -> Callable[[Request, list[Replica]], int]:
    def choose(request: Request, replicas: list[Replica]) -> int:
        loads = [r.outstanding_tokens(request.arrival_s) for r in replicas]
        return loads.index(min(loads))

    return choose


ROUTERS = {"round-robin": round_robin, "least-outstanding-tokens": least_outstanding_tokens}


def serve_replicas(strategy: type[Strategy], config: SchedulerConfig, requests: list[Request],
                   step_seconds: Callable[[], Callable[[StepPlan], float]], *, replicas: int,
                   router: str) -> list[Recorder]:
    """One Recorder per replica. `step_seconds()` makes each replica's step-time function."""
    if router not in ROUTERS:
        raise UserError(f"router {router!r} is not known (choose from {', '.join(ROUTERS)})")
    if replicas < 1:
        raise UserError(f"replicas {replicas}: must be at least 1")
    fleet = [Replica(strategy, config, step_seconds()) for _ in range(replicas)]
    choose = ROUTERS[router]()
    arrivals = sorted(requests, key=lambda r: (r.arrival_s, r.request_id))
    routed = 0
    for r in fleet:
        r.clock.start()
    if not arrivals:
        for r in fleet:
            r.serving.close()
    while True:
        soonest = min(fleet, key=Replica.next_time)
        t = soonest.next_time()
        if routed < len(arrivals) and arrivals[routed].arrival_s <= t:
            request = arrivals[routed]
            fleet[choose(request, fleet)].add(request)
            routed += 1
            if routed == len(arrivals):  # from now on a replica that plans nothing is stuck: a bug
                for r in fleet:
                    r.serving.close()
                    r.idle = False
            continue
        if t == math.inf:
            return [r.serving.finish() for r in fleet]
        soonest.step()
