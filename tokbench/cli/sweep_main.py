"""What `tokbench sweep` does once its flags are read: load the spec, pick the executor, run, print."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console

from tokbench.cli.sweep_progress import SweepDisplay, figures_text
from tokbench.errors import UserError
from tokbench.interrupts import Interrupted
from tokbench.report.tables import TextTable
from tokbench.report.terminal import console_for_tables, print_table
from tokbench.sweep.keys import describe_values

EXECUTORS = ("local", "ray")


def _spec(path: Path, capacity: bool, slo, attainment, tolerance):
    from tokbench.sweep.capacity_settings import with_overrides
    from tokbench.sweep.spec import check_spec, load_spec

    spec = load_spec(path, check=False)
    wants = capacity or spec.capacity is not None
    given = [flag for flag, value in (("--slo", slo), ("--attainment", attainment), ("--tolerance", tolerance))
             if value is not None]
    if given and not wants:
        raise UserError(f"{given[0]}: applies to a capacity search; add --capacity (or a [capacity] table)")
    if wants:
        spec = replace(spec, capacity=with_overrides(spec.capacity, slo=slo, attainment=attainment,
                                                     tolerance=tolerance))
    check_spec(spec)
    return spec


def _executor(name: str, address: str | None, max_retries: int):
    if name not in EXECUTORS:
        raise UserError(f"--executor {name!r}: choose {' or '.join(EXECUTORS)}")
    if name == "local":
        if address is not None:
            raise UserError("--address: only with --executor ray")
        from tokbench.sweep.local_executor import LocalExecutor

        return LocalExecutor()
    from tokbench.sweep.ray_executor import RayExecutor

    return RayExecutor(address=address, max_retries=max_retries)


def _dry_run(spec, out: Path) -> None:
    from tokbench.sweep.points import plan_points, plan_searches
    from tokbench.sweep.store import SweepStore

    store = SweepStore(out)
    if spec.capacity is not None:
        rows = [[plan.key, plan.label, spec.capacity.slo_text(), f"{spec.capacity.attainment:.0%}"]
                for plan in plan_searches(spec)]
        print_table(TextTable(["search", "configuration", "SLO", "attainment"], rows, align_left=2),
                    "capacity searches (probes are decided as they run)")
        return
    points = plan_points(spec)
    rows = [[p.id, p.label, "complete" if store.complete(p.id) is not None else "to run"] for p in points]
    print_table(TextTable(["point", "values", "status"], rows, align_left=2), f"{len(points)} points")


def _print_outcome(outcome, console: Console) -> None:
    records = outcome.records
    if len(records) <= 64:
        rows = [[r.id, describe_values(r.values), r.status, figures_text(r) if r.figures else (r.error or "")]
                for r in records]
        print_table(TextTable(["point", "values", "status", "key figures"], rows, align_left=4),
                    console=console_for_tables())
    if outcome.capacity:
        rows = [[c["label"], _capacity_cell(c), f"{c['offered_rps']:.2f}" if c.get("offered_rps") else "–",
                 str(len(c["probes"])), "; ".join(c["non_monotone"]) or "–"] for c in outcome.capacity]
        first = outcome.capacity[0]
        title = (f"capacity: highest rate_scale with ≥ {first['attainment_target']:.0%} of requests within "
                 f"{', '.join(f'{k} {v:g}' for k, v in first['slo'].items())} (tolerance {first['tolerance']:.0%})")
        print_table(TextTable(["configuration", "capacity", "req/s", "probes", "non-monotone"], rows), title,
                    console=console_for_tables())
    failed = outcome.failed
    console.print(f"sweep: {outcome.root} — {sum(r.status == 'complete' for r in records)} of {len(records)} "
                  f"points complete ({outcome.ran} run now, {outcome.reused} before), {len(failed)} failed")
    console.print(f"report: tokbench report {outcome.root}")


def _capacity_cell(c: dict) -> str:
    lo, hi = c["bracket"]
    return {"found": f"×{lo:g} (< ×{hi:g})" if hi else f"×{lo:g}",
            "above-max": f"≥ ×{lo:g}", "below-min": f"< ×{hi:g}" if hi else "–",
            "unfinished": f"×{lo:g}–×{hi:g}?" if lo and hi else "–",
            "failed": f"failed: {c.get('error')}"}.get(c["status"], c["status"])


def sweep_main(*, spec: Path, out: Path | None, executor: str, address: str | None, max_retries: int, force: bool,
               dry_run: bool, capacity: bool, slo: str | None, attainment: float | None,
               tolerance: float | None) -> None:
    sweep_spec = _spec(spec, capacity, slo, attainment, tolerance)
    out = out or Path("results") / "sweeps" / spec.stem
    if dry_run:
        _dry_run(sweep_spec, out)
        return
    chosen = _executor(executor, address, max_retries)
    from tokbench.sweep.driver import run_sweep

    console = Console(stderr=True, soft_wrap=True)
    try:
        with SweepDisplay(console) as display:
            outcome = run_sweep(sweep_spec, out, chosen, force=force, on_event=display.update)
    except Interrupted as exc:  # SIGINT, or SIGTERM (Slurm's time limit, a pod's deletion)
        exc.kept = f": the points complete in {out} are kept; run the same command to finish"
        raise
    _print_outcome(outcome, console)
    if outcome.failed:
        raise typer.Exit(1)
