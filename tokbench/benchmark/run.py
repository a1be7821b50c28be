"""run_benchmark: one RunConfig in, a Results value out — no printing, no command line.

    from tokbench import RunConfig, WorkloadSettings, run_benchmark
    results = run_benchmark(RunConfig(workload=WorkloadSettings("high-variance"),
                                      strategies=("tokenmaxxing", "continuous"), repeats=5))
    results.summary_frame()          # one row per run, one column per metric (medians over rounds)

With repeats, the workload is served `repeats` times per strategy. Each round runs every strategy
once, in an order that rotates from round to round (round r starts at the r-th), so drift and bursts
of load fall on every strategy alike; ratios between strategies are then taken round by round.
With `target_precision`, rounds are added until every run's output throughput is that precise, up
to `max_repeats` (benchmark/precision.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from tokbench.benchmark import precision
from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.model_cache import ModelCache
from tokbench.benchmark.noise import add_round_slowdowns, round_record, warning
from tokbench.benchmark.prepare import Prepared, prepare
from tokbench.benchmark.progress import OnProgress, Progress, ignore
from tokbench.benchmark.results_doc import benchmark_results, round_tables
from tokbench.benchmark.strategy_run import RoundRun, run_strategy
from tokbench.engine.memory_budget import oom_message
from tokbench.environment import load_between, sample_load
from tokbench.errors import UserError
from tokbench.peers import run_name, run_peers
from tokbench.results import Results
from tokbench.verify import compare_outputs, reference_outputs
from tokbench.workload.notes import source_notes

PEERS = "peers"  # the peer backends take one turn in each round's rotation, together


@dataclass
class _Round:
    """Where the benchmark is: which round, and how to tell the caller."""

    p: Prepared
    index: int
    emit: OnProgress
    so_far: Callable[[], Results]  # the runs and rounds finished so far, marked incomplete
    most: int  # rounds at most
    open_ended: bool  # rounds stop early once precise enough (--target-precision)

    def progress(self, kind, run: str, done: int = 0, message: str = "") -> None:
        keep = self.so_far if kind in ("done", "failed") else None
        self.emit(Progress(kind, run, done, len(self.p.workload.requests), message, self.index, self.most,
                           so_far=keep, at_most=self.open_ended))


def rotation(units: list, round_index: int) -> list:
    """The order of round `round_index`: the units, starting at the (round_index mod k)-th."""
    start = round_index % len(units) if units else 0
    return units[start:] + units[:start]


def _strategy_round(at: _Round, cls, position: int) -> RoundRun | str:
    """One strategy's turn in a round: its run and noise record, or a failure line (out of GPU memory)."""
    p = at.p
    at.progress("start", cls.name)
    before = sample_load(p.device)
    try:
        run = run_strategy(p.engine, cls, p.sched, p.workload, peaks=p.peaks, slo=p.slo, warmup=p.config.warmup,
                           on_step=lambda done: at.progress("step", cls.name, done))
    except torch.OutOfMemoryError as exc:
        torch.cuda.empty_cache()
        free = torch.cuda.mem_get_info(p.device)[0]
        return (oom_message(cls.name, p.gpu_budget, str(exc), free) if p.gpu_budget
                else f"{cls.name}: out of memory ({exc})")
    return RoundRun(run, at.index, round_record(run.tables["steps"], load_between(before, sample_load(p.device)),
                                                at.index, position))


def _peer_round(at: _Round, position: int) -> list[RoundRun]:
    p = at.p
    before = sample_load(p.device)
    runs = run_peers(rotation(p.peers, at.index), model_spec=p.config.model.spec, loaded=p.loaded,
                     requests=p.workload.requests, sched=p.sched, cost=p.engine.cost, slo=p.slo,
                     warmup=p.config.warmup, threads=p.threads,
                     on_progress=lambda name, done: at.progress("step", name, done))
    load = load_between(before, sample_load(p.device))
    return [RoundRun(r, at.index, round_record(r.tables["steps"], load, at.index, position)) for r in runs]


def _rounds(p: Prepared, emit: OnProgress, notes: list[str]) -> tuple[dict[str, list[RoundRun]], list[str]]:
    """Every round of every strategy (and peer), by run name; one failure line per strategy that failed
    (its rounds are dropped, and it sits out the rounds left)."""
    units: list = list(p.strategies) + ([PEERS] if p.peers else [])
    by_name: dict[str, list[RoundRun]] = {}
    failures: list[str] = []

    def so_far() -> Results:
        return benchmark_results(p, {k: list(v) for k, v in by_name.items()}, list(failures), notes, complete=False)

    target = p.config.target_precision
    least = precision.least_rounds(p.config.repeats, target)
    most = precision.most_rounds(p.config.repeats, target, p.config.max_repeats)
    open_ended = least < most
    for index in range(most):
        if index >= least and precision.reached(_half_widths(by_name), target):
            break
        at = _Round(p, index, emit, so_far, most, open_ended)
        for position, unit in enumerate(rotation(units, index)):
            done = _peer_round(at, position) if unit is PEERS else [_strategy_round(at, unit, position)]
            for item in done:
                if isinstance(item, str):
                    failures.append(item if most == 1 else f"{item} (round {index + 1})")
                    units.remove(unit)
                    by_name.pop(unit.name, None)
                    at.progress("failed", unit.name, message=item)
                    continue
                by_name.setdefault(item.run.name, []).append(item)
                item.noise["warning"] = warning(item.run.name, item.noise, None if open_ended else most)
                if item.noise["warning"]:
                    emit(Progress("note", message=item.noise["warning"]))
                if unit is not PEERS:
                    at.progress("done", unit.name, len(p.workload.requests))
    order = [cls.name for cls in p.strategies] + [run_name(peer) for peer in p.peers]
    return {name: by_name[name] for name in order if name in by_name}, failures


def _half_widths(runs: dict[str, list[RoundRun]]) -> dict[str, float]:
    return precision.half_widths({name: [r.run.summary for r in rounds] for name, rounds in runs.items()})


def _compare_rounds(runs: dict[str, list[RoundRun]], repeats: int, emit: OnProgress) -> None:
    """With repeats: each round's steps against the same steps in the fastest round. A round this shows
    disturbed gets its warning now (again, completed, if it had one already)."""
    for name, rounds in runs.items():
        records = [r.noise for r in rounds]
        add_round_slowdowns(records, round_tables(rounds, "steps"))
        for record in records:
            line = warning(name, record, repeats)
            if line and line != record["warning"]:
                emit(Progress("note", message=line))
            record["warning"] = line


def _verify(p: Prepared, runs: dict[str, list[RoundRun]], emit: OnProgress) -> None:
    emit(Progress("note", message="verifying against the one-request-at-a-time fp32 CPU reference"))
    reference = reference_outputs(p.loaded, p.workload.requests)
    for rounds in runs.values():
        for r in rounds:
            r.run.verification = compare_outputs(reference, r.run.outputs)


def run_benchmark(config: RunConfig, *, on_progress: OnProgress | None = None,
                  models: ModelCache | None = None, wrap_runner: Callable | None = None) -> Results:
    """Run every strategy (and peer) of `config` on one engine, `config.repeats` rounds; UserError for
    anything the user can fix.

    A strategy that runs out of GPU memory is listed in `results.failures`; the others' results stand.
    `models` keeps the loaded model for the next call that needs the same one (sweeps).
    `wrap_runner(runner) -> runner` puts a layer around the engine's runner (the gate's injected
    slowdown that proves it catches regressions; a simulated clock); None for a plain run.
    """
    emit = on_progress or ignore
    p = prepare(config, models)
    if wrap_runner is not None:
        p.engine.runner = wrap_runner(p.engine.runner)
    notes = [f"workload: {note}" for note in source_notes(p.workload.source)]
    for note in notes:
        emit(Progress("note", message=note))
    runs, failures = _rounds(p, emit, notes)
    if not runs:
        raise UserError("; ".join(failures) or "nothing ran")
    rounds = max(len(r) for r in runs.values())
    _compare_rounds(runs, rounds, emit)
    if config.verify:
        _verify(p, runs, emit)
    reached = None
    if config.target_precision is not None:
        most = precision.most_rounds(config.repeats, config.target_precision, config.max_repeats)
        reached = precision.record(config.target_precision, rounds, most, _half_widths(runs))
        notes.append(precision.line(reached))
        emit(Progress("note", message=notes[-1]))
    return benchmark_results(p, runs, failures, notes, precision=reached)
