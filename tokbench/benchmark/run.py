"""run_benchmark: one RunConfig in, a Results value out — no printing, no command line.

    from tokbench import RunConfig, WorkloadSettings, run_benchmark
    results = run_benchmark(RunConfig(workload=WorkloadSettings("high-variance"),
                                      strategies=("tokenmaxxing", "continuous")))
    results.summary_frame()          # one row per run, one column per metric
"""

from __future__ import annotations

from typing import Callable

import torch

from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.model_cache import ModelCache
from tokbench.benchmark.prepare import Prepared, prepare
from tokbench.benchmark.progress import OnProgress, Progress, ignore
from tokbench.benchmark.results_doc import benchmark_results
from tokbench.benchmark.strategy_run import run_strategy
from tokbench.engine.memory_budget import oom_message
from tokbench.errors import UserError
from tokbench.peers import run_peers
from tokbench.results import Results
from tokbench.verify import compare_outputs, reference_outputs
from tokbench.workload.notes import source_notes


def _strategy_runs(p: Prepared, emit: OnProgress, notes: list[str]) -> tuple[list, list[str]]:
    runs, failures = [], []
    total = len(p.workload.requests)
    so_far = lambda: benchmark_results(p, runs, failures, notes, complete=False)  # noqa: E731
    for cls in p.strategies:
        emit(Progress("start", cls.name, 0, total))
        try:
            runs.append(run_strategy(p.engine, cls, p.sched, p.workload, peaks=p.peaks, slo=p.slo,
                                     warmup=p.config.warmup,
                                     on_step=lambda done, n=cls.name: emit(Progress("step", n, done, total))))
            emit(Progress("done", cls.name, total, total, so_far=so_far))
        except torch.OutOfMemoryError as exc:
            torch.cuda.empty_cache()
            free = torch.cuda.mem_get_info(p.device)[0]
            line = (oom_message(cls.name, p.gpu_budget, str(exc), free) if p.gpu_budget
                    else f"{cls.name}: out of memory ({exc})")
            failures.append(line)
            emit(Progress("failed", cls.name, 0, total, line, so_far=so_far))
    return runs, failures


def _peer_runs(p: Prepared, emit: OnProgress) -> list:
    total = len(p.workload.requests)
    return run_peers(p.peers, model_spec=p.config.model.spec, loaded=p.loaded, requests=p.workload.requests,
                     sched=p.sched, cost=p.engine.cost, slo=p.slo, warmup=p.config.warmup, threads=p.threads,
                     on_progress=lambda name, done: emit(Progress("step", name, done, total)))


def run_benchmark(config: RunConfig, *, on_progress: OnProgress | None = None,
                  models: ModelCache | None = None, wrap_runner: Callable | None = None) -> Results:
    """Run every strategy (and peer) of `config` on one engine; UserError for anything the user can fix.

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
    runs, failures = _strategy_runs(p, emit, notes)
    runs += _peer_runs(p, emit)
    if not runs:
        raise UserError("; ".join(failures) or "nothing ran")
    if config.verify:
        emit(Progress("note", message="verifying against the one-request-at-a-time fp32 CPU reference"))
        reference = reference_outputs(p.loaded, p.workload.requests)
        for r in runs:
            r.verification = compare_outputs(reference, r.outputs)
    return benchmark_results(p, runs, failures, notes)
