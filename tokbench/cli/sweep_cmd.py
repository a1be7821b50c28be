"""`tokbench sweep SPEC.toml`: a grid of runs (or capacity searches), resumable, on this machine or on Ray."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tokbench.cli.app import app

C = "Capacity under an SLO"


@app.command("sweep")
def sweep(
    spec: Annotated[Path, typer.Argument(help="Sweep spec (TOML): \\[base] run config, \\[grid] lists, \\[\\[point]] tables, \\[capacity]. docs/sweeps.md.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Sweep directory (default: results/sweeps/SPEC-NAME); run again to resume.")] = None,
    executor: Annotated[str, typer.Option("--executor", "-e", help="local (one point at a time, here) or ray.")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="Ray cluster: auto, or HOST:PORT (default: start a local one).")] = None,
    max_retries: Annotated[int, typer.Option("--max-retries", help="Ray: resubmit a point whose worker died this many times.")] = 2,
    force: Annotated[bool, typer.Option("--force", help="Sweep a changed spec in an existing sweep directory (shared complete points are kept).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the points and which are complete; run nothing.")] = False,
    capacity: Annotated[bool, typer.Option("--capacity", help="Search each strategy's highest workload.rate_scale within the SLO.", rich_help_panel=C)] = False,
    slo: Annotated[Optional[str], typer.Option("--slo", help="ttft_ms=…,tpot_ms=…,e2el_ms=… a request must meet.", rich_help_panel=C)] = None,
    attainment: Annotated[Optional[float], typer.Option("--attainment", help="Share of requests that must meet the SLO (0.9).", rich_help_panel=C)] = None,
    tolerance: Annotated[Optional[float], typer.Option("--tolerance", help="Relative width at which bisection stops (0.05).", rich_help_panel=C)] = None,
) -> None:
    """Run every point of a sweep spec that the sweep directory lacks; write one results directory per point."""
    from tokbench.cli.sweep_main import sweep_main

    sweep_main(spec=spec, out=out, executor=executor, address=address, max_retries=max_retries, force=force,
               dry_run=dry_run, capacity=capacity, slo=slo, attainment=attainment, tolerance=tolerance)
