"""`tokbench gate`: hold a candidate to a baseline; exit 0 pass, 1 regression, 2 usage error (docs/gate.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from tokbench.cli.app import app
from tokbench.errors import UserError


def _check_output_file(path: Optional[Path], flag: str) -> None:
    """Refuse now, before the benchmark runs, a --markdown/--junit that could never be written."""
    if path is None:
        return
    if path.is_dir():
        raise UserError(f"{flag} {path}: is a directory")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    import os

    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise UserError(f"{flag} {path}: cannot be written ({parent} is not a writable directory)")


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
) -> None:
    """Compare a candidate with a baseline, metric by metric; fail on any regression."""
    from tokbench.cli.gate_main import GateRequest, run_gate

    for path, flag in ((markdown, "--markdown"), (junit, "--junit")):
        _check_output_file(path, flag)
    request = GateRequest(results=results or [], baseline_path=baseline_path, rounds=rounds, against=against,
                          against_python=against_python, ignore_machine=ignore_machine, out_dir=out_dir,
                          markdown=markdown, junit=junit, update_baseline=update_baseline, confirm=confirm,
                          started=time.perf_counter())
    if run_gate(request):
        raise typer.Exit(1)
