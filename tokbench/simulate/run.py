"""`simulate`: the real strategies in the real loop, a cost model for time, the same tables and summary.

Swapped out are only the runner (NullRunner: lengths are real, token ids are not) and the clock
(VirtualClock, advanced by the cost model's step time). A simulated step's `duration_s` is its
predicted cycle (planning, forward and bookkeeping together: see calibrate.py), its `schedule_s`
and `prepare_s` are 0.
"""

from __future__ import annotations

import multiprocessing
import signal
from dataclasses import dataclass

import pandas as pd

from tokbench.engine.clock import VirtualClock
from tokbench.engine.engine import check_strategy, new_kv
from tokbench.engine.loop import run_loop
from tokbench.engine.null_runner import NullRunner
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.errors import UserError
from tokbench.metrics.summary import SLO, summarize
from tokbench.simulate.replicas import serve_replicas
from tokbench.simulate.spill import scratch_directory, spill, unspill
from tokbench.workload.types import Request


@dataclass
class SimulatedRun:
    name: str
    strategy: type[Strategy]
    config: SchedulerConfig
    tables: dict[str, pd.DataFrame]
    summary: dict[str, float]
    replicas: int = 1
    router: str | None = None
    cost_model: str = ""  # the cost model's kind

    def describe(self) -> dict:
        return {"name": self.name, "backend": "tokbench", "simulated": True, "strategy": self.strategy.name,
                "kv_layout": self.strategy.kv_layout, "knobs": self.strategy.recorded_knobs(self.config),
                "replicas": self.replicas, "router": self.router, "cost_model": self.cost_model,
                "summary": self.summary, "verification": None}


def _tables(strategy: type[Strategy], config: SchedulerConfig, requests: list[Request], cost_model,
            replicas: int, router: str) -> dict[str, pd.DataFrame]:
    step_seconds = cost_model.step_seconds
    if replicas == 1:
        clock = VirtualClock()
        # A cost model that prices a step from its counts alone lets the loop repeat decode steps unplanned.
        runner = NullRunner(clock, step_seconds, getattr(cost_model, "shape_seconds", None))
        rec = run_loop(strategy(config, new_kv(strategy, config)), requests, runner, clock)
        return rec.tables()
    recs = serve_replicas(strategy, config, requests, lambda: step_seconds, replicas=replicas, router=router)
    parts = [rec.tables() for rec in recs]
    steps = pd.concat([p["steps"].assign(replica=i) for i, p in enumerate(parts)], ignore_index=True)
    requests_table = pd.concat([p["requests"] for p in parts]).sort_values("request_id", ignore_index=True)
    tokens = pd.concat([p["tokens"] for p in parts], ignore_index=True)
    return {"steps": steps, "requests": requests_table, "tokens": tokens}


def simulate_strategy(strategy: type[Strategy], config: SchedulerConfig, requests: list[Request], cost_model, *,
                      replicas: int = 1, router: str = "round-robin", slo: SLO = SLO(),
                      check: bool = True) -> SimulatedRun:
    """One strategy over `requests` on `replicas` data-parallel copies of the cost model's target."""
    if replicas > 1 and cost_model.kind == "replay":
        raise UserError("a replayed run has one replica's steps: simulate it with replicas=1")
    if check:
        check_strategy(strategy, config, requests)
    tables = _tables(strategy, config, requests, cost_model, replicas, router)
    target = cost_model.target
    bandwidth, flops = target.summary_peaks()
    summary = summarize(tables["requests"], tables["steps"], tables["tokens"], cost=target.cost(),
                        peak_bandwidth=bandwidth, peak_flops=flops, slo=slo)
    return SimulatedRun(strategy.name, strategy, config, tables, summary, replicas,
                        router if replicas > 1 else None, cost_model.kind)


_JOBS: list = []  # (args, kwargs, Scratch, shared rows) per strategy, inherited by forked workers


def _worker_signals() -> None:
    """A worker leaves Ctrl-C (sent to the whole process group) to the parent, which stops the
    workers itself; SIGTERM, how it is stopped, ends it at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_job(i: int):
    args, kwargs, scratch, shared_rows = _JOBS[i]
    run = simulate_strategy(*args, **kwargs)
    # Tables through files (spill.py); the strategy class may live in a user's file: not sent back.
    return spill(run.tables, scratch, i, shared_rows), run.summary


def simulate(strategies: list[type[Strategy]], config: SchedulerConfig, requests: list[Request], cost_model, *,
             replicas: int = 1, router: str = "round-robin", slo: SLO = SLO(), workers: int = 1) -> list[SimulatedRun]:
    """Each strategy simulated independently; `workers` > 1 runs them in forked processes at once."""
    if workers < 1:
        raise UserError(f"--workers {workers}: must be at least 1 (1 simulates the strategies one after another)")
    kwargs = {"replicas": replicas, "router": router, "slo": slo, "check": False}
    for s in strategies:  # user errors here, before any strategy runs
        check_strategy(s, config, requests)
    if workers <= 1 or len(strategies) <= 1 or cost_model.kind == "replay":
        return [simulate_strategy(s, config, requests, cost_model, **kwargs) for s in strategies]
    # Every strategy samples each output token once (lengths are fixed): one tokens file for all runs.
    shared_rows = {"tokens": sum(r.max_tokens for r in requests)}
    # Paged strategies take longest to simulate (blocks booked step by step): started first, the
    # longest run does not start last, while the other worker idles.
    order = sorted(range(len(strategies)), key=lambda i: strategies[i].kv_layout != "paged")
    with scratch_directory() as scratch:
        _JOBS[:] = [((s, config, requests, cost_model), kwargs, scratch, shared_rows) for s in strategies]
        pool = multiprocessing.get_context("fork").Pool(min(workers, len(strategies)), initializer=_worker_signals)
        try:
            done = dict(zip(order, pool.map(_run_job, order, chunksize=1)))
            pool.close()
        except BaseException:  # an error in a worker, or the parent interrupted: stop the others now
            pool.terminate()
            raise
        finally:
            pool.join()
            _JOBS.clear()
        tables = unspill([done[i][0] for i in range(len(strategies))])
        return [SimulatedRun(s.name, s, config, t, done[i][1], replicas, router if replicas > 1 else None,
                             cost_model.kind) for i, (s, t) in enumerate(zip(strategies, tables))]
