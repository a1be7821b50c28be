"""What `tokbench gate` does once its flags are read: load, call the library, print, write."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tokbench.atomic import atomic_write_text
from tokbench.errors import UserError

ROW_STYLE = {"regression": "bold red", "improved": "green", "skipped": "dim"}


@dataclass
class GateRequest:
    results: list[Path]
    baseline_path: Path
    rounds: int | None
    against: str | None
    against_python: str | None
    ignore_machine: bool
    out_dir: Path
    markdown: Path | None
    junit: Path | None
    update_baseline: bool
    confirm: bool
    started: float


def _benchmark_config(baseline, console):
    """The baseline's benchmark as a RunConfig (a version-1 baseline stores `tokbench run` flags)."""
    from tokbench.benchmark.config import RunConfig

    if baseline.run_config is not None:
        return RunConfig.from_dict(baseline.run_config, where=f"{baseline.path}: benchmark.run_config")
    if baseline.run_args is None:
        raise UserError(f"{baseline.path}: has no benchmark (benchmark.run_config), so give the candidate RESULTS "
                        "to gate")
    from tokbench.cli.run_args import config_from_args

    console.print(f"note: {baseline.path} is a version-1 baseline (benchmark.run_args); "
                  "`tokbench gate --update-baseline` stores it as a run config")
    return config_from_args(baseline.run_args, f"{baseline.path}: benchmark.run_args")


def _rounds(request: GateRequest, baseline) -> int:
    if request.results:
        if request.rounds is not None:
            raise UserError("--rounds runs the baseline's benchmark; with RESULTS given, the rounds are those "
                            "directories (drop one or the other)")
        return 0
    n = baseline.repeat if request.rounds is None else request.rounds
    if n < 1:
        raise UserError(f"--rounds {n}: must be at least 1")
    return n


def _recorded(candidates, machine: dict, rounds: int) -> dict:
    env = candidates[0].doc["environment"]
    keep = ("tokbench_version", "git_commit", "torch", "cpu_model", "cpu_count", "device_name", "torch_threads")
    return {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "rounds": rounds,
            **{k: env.get(k) for k in keep}, "machine": machine}


def run_gate(request: GateRequest) -> bool:
    """Print and write the verdict; True when a metric regressed."""
    from tokbench.gate import mode as modes
    from tokbench.gate.baseline import load_baseline, write_baseline
    from tokbench.gate.inject import ENV as INJECT_ENV
    from tokbench.gate.inject import decode_slowdown, injected_fraction
    from tokbench.gate.junit import write_junit
    from tokbench.gate.rounds import run_rounds
    from tokbench.gate.session import gate_benchmark, gate_results, measured_values
    from tokbench.gate.summary import headline, markdown_summary, outcome_table
    from tokbench.machine import machine_fingerprint
    from tokbench.report.terminal import console_for_tables, print_table
    from tokbench.results import load_results

    console = console_for_tables()
    baseline = load_baseline(request.baseline_path)
    n = _rounds(request, baseline)
    if request.results:
        candidates = [load_results(p) for p in request.results]
        machine = candidates[0].doc["environment"].get("machine")
        if request.update_baseline:
            run = None
        else:
            run = gate_results(baseline, candidates, machine, request.ignore_machine)
        source = f"{len(candidates)} results directories"
    else:
        config = _benchmark_config(baseline, console)
        machine = machine_fingerprint(config.model.device)
        slowdown = injected_fraction()
        if slowdown:
            console.print(f"[bold yellow]{INJECT_ENV}={slowdown}: the candidate's decode steps are deliberately "
                          f"slowed by {slowdown:.0%} of their time (a test of the gate itself)[/]")
        if request.update_baseline:
            candidates = run_rounds(config, range(1, n + 1), request.out_dir, decode_slowdown(slowdown), console.print)
        else:
            timing = modes.choose(baseline, machine, against=request.against, against_python=request.against_python,
                                  ignore_machine=request.ignore_machine)
            console.print(f"timing: {timing.why}")
            try:
                run = gate_benchmark(baseline, config, rounds=n, timing=timing, out_dir=request.out_dir,
                                     confirm=request.confirm, slowdown=slowdown, progress=console.print)
            finally:
                if timing.reference is not None:
                    timing.reference.close()
            candidates = run.candidates
        source = f"{len(candidates)} rounds of the benchmark"

    if request.update_baseline:
        measured = measured_values(baseline, candidates)
        run_config = None if request.results else config.to_dict()
        write_baseline(baseline, measured, _recorded(candidates, machine or {}, len(candidates)), run_config)
        for name, (value, values) in measured.items():
            console.print(f"  {name} = {value:.6g}  (rounds: {', '.join(f'{v:.4g}' for v in values)})")
        console.print(f"baseline updated: {request.baseline_path} ({source}); review and commit it")
        return False

    outcomes = run.outcomes
    print_table(outcome_table(outcomes), "tokbench gate", console, styles=[ROW_STYLE.get(o.verdict) for o in outcomes])
    rec = baseline.recorded
    where = ", ".join(str(rec[k]) for k in ("created", "cpu_model", "git_commit") if rec.get(k))
    provenance = [f"Baseline `{baseline.path}`" + (f" (recorded {where})" if where else "") + f"; candidate: {source}.",
                  f"Timing: {run.timing.why}.", *[f"{note}." for note in run.notes]]
    for line in provenance:
        console.print(line)
    for o in outcomes:
        if o.verdict == "regression":
            console.print(f"[bold red]REGRESSION[/] {o.explain()}")
    console.print(headline(outcomes))
    if request.markdown is not None:
        atomic_write_text(request.markdown, markdown_summary(outcomes, provenance))
    if request.junit is not None:
        write_junit(outcomes, time.perf_counter() - request.started, request.junit)
    return run.regressed
