"""`tokbench calibrate RESULTS_DIR... --out cost.json`: fit a step-time cost model to measured runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tokbench.cli.app import app


@app.command("calibrate")
def calibrate(
    results: Annotated[list[Path], typer.Argument(help="Results directories of measured runs (one model and device).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the cost-model file goes.")] = Path("cost-model.json"),
) -> None:
    """Fit the linear step-time model (docs/simulate.md) to every tokbench run in RESULTS; print its error."""
    from tokbench.simulate import calibrate as fit, save_cost_model

    model = fit(results)
    path = save_cost_model(model, out)
    errors = model.fit["errors"]
    table = Table(title=f"calibrated on {model.target.model.name} {model.target.dtype}, {model.target.device_name}",
                  title_justify="left")
    for col in ("run", "steps", "step error p50", "step error p90", "total time error"):
        table.add_column(col, justify="left" if col == "run" else "right")
    for label, e in [*errors["runs"].items(), ("all", errors["overall"])]:
        where, _, run = label.rpartition(":")
        table.add_row(f"{Path(where).name}: {run}" if where else label, f"{e['steps']:,}", f"{e['step_error_median']:.1%}", f"{e['step_error_p90']:.1%}",
                      f"{e['duration_error']:+.1%}")
    console = Console()
    console.print(table)
    console.print("seconds: " + ", ".join(f"{k} {v:.3g}" for k, v in model.seconds.items()))
    Console(stderr=True).print(f"cost model: {path}")
