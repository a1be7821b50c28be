"""`tokbench workloads`: the shipped presets and their key statistics."""

from __future__ import annotations

import json

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from tokbench.cli.app import app
from tokbench.profile.summary import profile_table
from tokbench.workload import list_presets, load_table
from tokbench.workload.presets import preset_spec


def _arrival_text(spec: dict) -> str:
    arrival = spec.get("arrival", {"process": "offline"})
    params = ", ".join(f"{k}={v}" for k, v in arrival.items() if k != "process")
    return f"{arrival['process']}({params})" if params else arrival["process"]


def preset_rows(seed: int) -> list[dict]:
    rows = []
    for name in list_presets():
        spec, table = preset_spec(name), load_table(name, seed=seed)
        profile = profile_table(table, seed=seed)
        rows.append(
            {
                "name": name,
                "requests": len(table),
                "arrival": _arrival_text(spec),
                "prompt_p50_p90_p99": np.percentile(table.prompt_len, [50, 90, 99]).round().astype(int).tolist(),
                "output_p50_p90_p99": np.percentile(table.output_len, [50, 90, 99]).round().astype(int).tolist(),
                # Spread is what separates the strategies: p90/p10 of prompt and of output lengths.
                "p90_over_p10": [round(profile["prompt"]["p90_over_p10"], 1), round(profile["output"]["p90_over_p10"], 1)],
                "favours": profile["recommendation"]["strategy"],
                "description": spec.get("description", ""),
            }
        )
    return rows


@app.command("workloads")
def workloads(
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON."),
    seed: int = typer.Option(0, help="Seed used to draw the statistics."),
) -> None:
    """List the workload presets (usable as --workload NAME) with their key statistics."""
    rows = preset_rows(seed)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Workload presets (statistics drawn with --seed; favours = what `tokbench profile` recommends for `tokbench run`'s defaults: model tiny, max_model_len 2048)")
    columns = ("name", "requests", "arrival", "prompt p50/p90/p99", "output p50/p90/p99", "p90/p10 in/out", "favours")
    for column in columns:
        table.add_column(column, justify="right" if column == "requests" else "left", no_wrap=True)
    table.add_column("description", overflow="ellipsis", no_wrap=True, max_width=60)
    for row in rows:
        table.add_row(
            row["name"],
            f"{row['requests']:,}",
            row["arrival"],
            "/".join(map(str, row["prompt_p50_p90_p99"])),
            "/".join(map(str, row["output_p50_p90_p99"])),
            "/".join(map(str, row["p90_over_p10"])),
            row["favours"],
            row["description"],
        )
    Console().print(table)
