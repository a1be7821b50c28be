"""`tokbench gate`: hold candidate results to a baseline; exit 0 pass, 1 regression, 2 usage error."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from tokbench.atomic import atomic_write_text
from tokbench.cli.app import app
from tokbench.errors import UserError
from tokbench.gate.baseline import Baseline, load_baseline, write_baseline
from tokbench.gate.bench import run_repeats
from tokbench.gate.evaluate import IMPROVED, REGRESSION, judge, measure
from tokbench.gate.inject import ENV as INJECT_ENV
from tokbench.gate.inject import injected_fraction
from tokbench.gate.junit import write_junit
from tokbench.gate.summary import headline, markdown_summary, outcome_table, provenance
from tokbench.report.terminal import console_for_tables, print_table
from tokbench.results import Results, load_results

ROW_STYLE = {REGRESSION: "bold red", IMPROVED: "green"}


def _run_benchmark(baseline: Baseline, repeats: range, out_dir: Path, console: Console) -> list[Results]:
    slowdown = injected_fraction()
    if slowdown:
        console.print(f"[bold yellow]{INJECT_ENV}={slowdown}: decode steps are deliberately slowed "
                      f"by {slowdown:.0%} of their time (a test of the gate itself)[/]")
    dirs = run_repeats(baseline.run_args, repeats, out_dir, slowdown, console.print)
    return [load_results(d) for d in dirs]


def _repeat_count(results: list[Path], baseline: Baseline, repeat: Optional[int]) -> int:
    """0 when the candidates are RESULTS given on the command line, else how many times to run."""
    if results:
        if repeat is not None:
            raise UserError("--repeat runs the baseline's benchmark; with RESULTS given, the repeats are those "
                            "directories (drop one or the other)")
        return 0
    if baseline.run_args is None:
        raise UserError(f"{baseline.path}: has no benchmark.run_args, so give the candidate RESULTS to gate")
    n = baseline.repeat if repeat is None else repeat
    if n < 1:
        raise UserError(f"--repeat {n}: must be at least 1")
    return n


def _recorded(candidates: list[Results], source: str) -> dict:
    env = candidates[0].doc["environment"]
    keep = ("tokbench_version", "git_commit", "torch", "cpu_model", "cpu_count", "device_name", "torch_threads")
    return {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "repeats": len(candidates),
            "from": source, **{k: env.get(k) for k in keep}}


@app.command("gate")
def gate(
    results: Annotated[Optional[list[Path]], typer.Argument(help="Candidate results directories (repeats of one benchmark); omit to run the baseline's benchmark.")] = None,
    baseline_path: Annotated[Path, typer.Option("--baseline", help="Baseline file: rules, thresholds, accepted values.")] = Path("benchmarks/baseline/ci-gate.json"),
    repeat: Annotated[Optional[int], typer.Option(help="Run the baseline's benchmark N times and gate the medians (default: the baseline's repeat).")] = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where the benchmark repeats write their results.")] = Path("results/gate"),
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Write the verdict as markdown here (e.g. \"$GITHUB_STEP_SUMMARY\").")] = None,
    junit: Annotated[Optional[Path], typer.Option("--junit", help="Write JUnit XML here, one test case per metric.")] = None,
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="Accept the candidate medians as the new baseline values (rules unchanged).")] = False,
    confirm: Annotated[bool, typer.Option("--confirm/--no-confirm", help="When the benchmark's repeats show a regression, run as many again and judge all of them.")] = True,
) -> None:
    """Compare candidate results with a baseline, metric by metric; fail on any regression."""
    started = time.perf_counter()
    console = console_for_tables()
    baseline = load_baseline(baseline_path)
    n = _repeat_count(results or [], baseline, repeat)
    if n:
        console.print(f"running the benchmark {n}×: tokbench run {' '.join(baseline.run_args)}")
        candidates, source = _run_benchmark(baseline, range(1, n + 1), out_dir, console), "repeats of the benchmark"
    else:
        candidates, source = [load_results(p) for p in results], "results directories"
    measured = measure(baseline, candidates)

    if update_baseline:
        write_baseline(baseline, measured, _recorded(candidates, source))
        for name, m in measured.items():
            console.print(f"  {name} = {m.candidate:.6g}  (repeats: {', '.join(f'{v:.4g}' for v in m.values)})")
        console.print(f"baseline updated: {baseline_path} (median of {len(candidates)} {source}); review and commit it")
        return

    outcomes = judge(baseline, measured)
    if n and confirm and any(o.verdict == REGRESSION for o in outcomes):
        # A burst of load can outlast a few repeats; a real regression survives twice as many.
        failed = ", ".join(o.rule.name for o in outcomes if o.verdict == REGRESSION)
        console.print(f"regression in {failed} over {n} repeats; confirming with {n} more")
        candidates += _run_benchmark(baseline, range(n + 1, 2 * n + 1), out_dir, console)
        outcomes = judge(baseline, measure(baseline, candidates))
    print_table(outcome_table(outcomes), "tokbench gate", console,
                styles=[ROW_STYLE.get(o.verdict) for o in outcomes])
    console.print(provenance(baseline, len(candidates), source))
    for o in outcomes:
        if o.verdict == REGRESSION:
            console.print(f"[bold red]REGRESSION[/] {o.explain()}")
    console.print(headline(outcomes))
    if markdown is not None:
        atomic_write_text(markdown, markdown_summary(baseline, outcomes, len(candidates), source))
    if junit is not None:
        write_junit(outcomes, time.perf_counter() - started, junit)
    if any(o.verdict == REGRESSION for o in outcomes):
        raise typer.Exit(1)
