"""What `tokbench run` does once its flags are read: check, run, print, write.

Everything that can be wrong is found before the model loads: the config, then what needs no
torch (strategies, the model's shape, the workload, a KV budget too small), then where results
go (writable, not another run's, room for the tables). While the benchmark runs, each finished
strategy is kept in --out (marked incomplete); at the end the complete results replace them.
The summaries are printed before the write, so a write that fails loses nothing on screen.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.config_files import config_toml
from tokbench.cli.run_flags import config_from_flags
from tokbench.cli.run_keeper import ResultsKeeper
from tokbench.cli.run_progress import ProgressDisplay
from tokbench.cli.run_tables import print_summary, print_verification
from tokbench.interrupts import Interrupted

_NOT_CONFIG = ("config", "print_config", "wait")


def given_flags(ctx) -> dict:
    """The flags typed on the command line (not their defaults), by parameter name."""
    # By name: typer vendors its own copy of click, whose ParameterSource is another enum.
    given = ("COMMANDLINE", "ENVIRONMENT")
    return {name: value for name, value in ctx.params.items()
            if name not in _NOT_CONFIG and getattr(ctx.get_parameter_source(name), "name", None) in given}


def _expected_bytes(checked) -> int:
    from tokbench.results.format import table_format
    from tokbench.results.preflight import results_size_estimate

    reqs = checked.workload.requests
    return results_size_estimate(num_runs=len(checked.strategies) + len(checked.peers), num_requests=len(reqs),
                                 output_tokens=sum(r.max_tokens for r in reqs),
                                 prompt_tokens=sum(r.prompt_len for r in reqs),
                                 save_outputs=checked.config.save_outputs, fmt=table_format())


def run_main(given: dict, config_file: Path | None, print_config: bool, wait: bool = False) -> None:
    config = config_from_flags(given, str(config_file) if config_file else None)
    if print_config:
        from tokbench.benchmark.checks import resolve_strategies

        resolve_strategies(config)  # strategies exist and read every knob set
        typer.echo(config_toml(config), nl=False)
        return
    from tokbench.benchmark.checks import check_run
    from tokbench.results.lock import output_lock
    from tokbench.results.preflight import check_writable_dir
    from tokbench.results.staging import check_replaceable

    console = Console(stderr=True)
    check_writable_dir(config.out, "--out")
    check_replaceable(Path(config.out))
    checked = check_run(config)  # before torch loads
    with output_lock(config.out, wait=wait, on_wait=lambda line: console.print(line, soft_wrap=True)):
        check_replaceable(Path(config.out))  # again: another run may have written it while we waited
        check_writable_dir(config.out, "--out", need_bytes=_expected_bytes(checked))
        _run_and_write(config, console)


def _run_and_write(config: RunConfig, console: Console) -> None:
    from tokbench.benchmark.run import run_benchmark
    from tokbench.results.writer import save_results

    keeper = ResultsKeeper(config.out, config.save_outputs)
    try:
        with ProgressDisplay(console) as display:
            def on_progress(event) -> None:
                display.update(event)
                keeper.on_progress(event)

            results = run_benchmark(config, on_progress=on_progress)
        runs = results.doc["runs"]
        print_summary(runs)
        if config.verify:
            print_verification(runs)
        for line in results.failures:
            console.print(f"[red]tokbench: error:[/] {line}")
        try:
            path = save_results(results, config.out, save_outputs=config.save_outputs)
        except OSError as exc:
            console.print(f"[red]tokbench: error:[/] could not write the results to {config.out} "
                          f"({exc.strerror or exc}); {keeper.holds()}", soft_wrap=True)
            raise typer.Exit(1) from None
        keeper.finished()
    except Interrupted as exc:
        exc.kept = f": {keeper.holds()}"
        raise
    console.print(f"results: {path}")
    mismatched = config.verify and any(r["verification"]["mismatches"] for r in runs)
    if results.failures or mismatched:
        raise typer.Exit(1)
