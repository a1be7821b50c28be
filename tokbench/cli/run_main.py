"""What `tokbench run` does once its flags are read: build the RunConfig, run it, print, write."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tokbench.benchmark.config_files import config_toml
from tokbench.cli.run_flags import config_from_flags
from tokbench.cli.run_progress import ProgressDisplay
from tokbench.cli.run_tables import print_summary, print_verification

_NOT_CONFIG = ("config", "print_config")


def given_flags(ctx) -> dict:
    """The flags typed on the command line (not their defaults), by parameter name."""
    # By name: typer vendors its own copy of click, whose ParameterSource is another enum.
    given = ("COMMANDLINE", "ENVIRONMENT")
    return {name: value for name, value in ctx.params.items()
            if name not in _NOT_CONFIG and getattr(ctx.get_parameter_source(name), "name", None) in given}


def run_main(given: dict, config_file: Path | None, print_config: bool) -> None:
    config = config_from_flags(given, str(config_file) if config_file else None)
    if print_config:
        from tokbench.benchmark.prepare import resolve_strategies

        resolve_strategies(config)  # strategies exist and read every knob set
        typer.echo(config_toml(config), nl=False)
        return
    from tokbench.benchmark.run import run_benchmark
    from tokbench.results.writer import save_results

    console = Console(stderr=True)
    with ProgressDisplay(console) as display:
        results = run_benchmark(config, on_progress=display.update)
    path = save_results(results, config.out, save_outputs=config.save_outputs)
    runs = results.doc["runs"]
    print_summary(runs)
    if config.verify:
        print_verification(runs)
    console.print(f"results: {path}")
    for line in results.failures:
        console.print(f"[red]tokbench: error:[/] {line}")
    mismatched = config.verify and any(r["verification"]["mismatches"] for r in runs)
    if results.failures or mismatched:
        raise typer.Exit(1)
