"""`tokbench gate`: hold a candidate to a baseline; exit 0 pass, 1 regression, 2 usage error (docs/gate.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from tokbench.cli.app import app


@app.command("gate")
def gate(
    results: Annotated[Optional[list[Path]], typer.Argument(help="Candidate results directories (rounds of one benchmark); omit to run the baseline's benchmark.")] = None,
    baseline_path: Annotated[Path, typer.Option("--baseline", help="Baseline file: benchmark, rules, thresholds, accepted values, machine.")] = Path("benchmarks/baseline/ci-gate.json"),
    rounds: Annotated[Optional[int], typer.Option("--rounds", "--repeat", help="Run the benchmark N times (default: the baseline's repeat).")] = None,
    against: Annotated[Optional[str], typer.Option("--against", help="Judge timing A/B against tokbench at this git ref ('recorded': the baseline's commit), in alternating rounds on this machine.")] = None,
    against_python: Annotated[Optional[str], typer.Option("--against-python", help="Judge timing A/B against the tokbench installed for this Python interpreter.")] = None,
    ignore_machine: Annotated[bool, typer.Option("--ignore-machine", help="Judge timing against stored values even on a machine unlike the baseline's.")] = False,
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where the benchmark rounds write their results.")] = Path("results/gate"),
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Write the verdict as markdown here (e.g. \"$GITHUB_STEP_SUMMARY\").")] = None,
    junit: Annotated[Optional[Path], typer.Option("--junit", help="Write JUnit XML here, one test case per metric.")] = None,
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="Accept the candidate's values (and this machine) as the new baseline; rules unchanged.")] = False,
    confirm: Annotated[bool, typer.Option("--confirm/--no-confirm", help="When the rounds show a regression, run as many again and judge all of them.")] = True,
    allow_mismatch: Annotated[bool, typer.Option("--allow-mismatch", help="Judge RESULTS of another benchmark than the baseline's (every output says so).")] = False,
) -> None:
    """Compare a candidate with a baseline, metric by metric; fail on any regression."""
    from tokbench.cli.gate_main import GateRequest, run_gate
    from tokbench.results.preflight import check_writable_dir, check_writable_file

    for path, flag in ((markdown, "--markdown"), (junit, "--junit")):  # before any round runs
        if path is not None:
            check_writable_file(path, flag, need_bytes=64 << 10)
    if not results:
        check_writable_dir(out_dir, "--out-dir", need_bytes=4 << 20)
    request = GateRequest(results=results or [], baseline_path=baseline_path, rounds=rounds, against=against,
                          against_python=against_python, ignore_machine=ignore_machine, out_dir=out_dir,
                          markdown=markdown, junit=junit, update_baseline=update_baseline, confirm=confirm,
                          allow_mismatch=allow_mismatch, started=time.perf_counter())
    if run_gate(request):
        raise typer.Exit(1)
