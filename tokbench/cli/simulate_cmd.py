"""`tokbench simulate`: `tokbench run`'s flags (or --config) and a cost model -> results marked simulated.

The run flags are `run`'s own parameters, read from its signature so the two commands never
drift apart, less those that only mean something when a model executes (device, threads, ...).
The work is in tokbench/simulate/, imported when the command runs.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Optional

import typer

from tokbench.cli import run_cmd
from tokbench.cli.app import app

S = "Simulation"
EXECUTION_ONLY = ("device", "attention", "threads", "cuda_graphs", "verify", "save_outputs", "warmup", "backend")
DEFAULT_OUT = Path("results/simulated")


def simulation_flags(
    cost_model: Annotated[Optional[Path], typer.Option("--cost-model", help="Price steps with this cost-model file (tokbench calibrate, or one shared with you).", rich_help_panel=S)] = None,
    roofline: Annotated[Optional[str], typer.Option("--roofline", help="Price steps with the roofline of this GPU: H100-SXM, H200, A100-SXM-80GB, L40S, ... (docs/simulate.md).", rich_help_panel=S)] = None,
    tp: Annotated[int, typer.Option("--tp", help="Tensor-parallel degree of the roofline target (GPUs per replica).", rich_help_panel=S)] = 1,
    roofline_param: Annotated[Optional[list[str]], typer.Option("--roofline-param", help="A roofline factor: NAME=VALUE, e.g. flops_efficiency=0.5 (repeatable).", rich_help_panel=S)] = None,
    replicas: Annotated[int, typer.Option("--replicas", help="Data-parallel replicas serving the workload together.", rich_help_panel=S)] = 1,
    router: Annotated[str, typer.Option("--router", help="How requests are spread over replicas: round-robin or least-outstanding-tokens.", rich_help_panel=S)] = "round-robin",
    workers: Annotated[int, typer.Option("--workers", help="Strategies simulated at once, in separate processes.", rich_help_panel=S)] = 1,
    against: Annotated[Optional[Path], typer.Option("--against", help="A measured results directory: simulate its run (unless --config) and print predicted against measured.", rich_help_panel=S)] = None,
    save_cost_model: Annotated[Optional[Path], typer.Option("--save-cost-model", help="Also write the cost model used to this file (e.g. to share a roofline).", rich_help_panel=S)] = None,
) -> None:
    """The flags `simulate` adds to `run`'s (a signature only: see `simulate` below)."""


def _parameters() -> list[inspect.Parameter]:
    run = inspect.signature(run_cmd.run, eval_str=True).parameters.values()
    kept = [p.replace(default=DEFAULT_OUT) if p.name == "out" else p for p in run if p.name not in EXECUTION_ONLY]
    return kept + list(inspect.signature(simulation_flags, eval_str=True).parameters.values())


def simulate(ctx: typer.Context, **params) -> None:
    """Predict a run: the same strategies and loop on a virtual clock priced by a cost model (docs/simulate.md)."""
    from tokbench.cli.simulate_main import simulate_main

    simulate_main(ctx, params)


simulate.__signature__ = inspect.Signature(_parameters())
OWN_FLAGS = tuple(inspect.signature(simulation_flags).parameters)
app.command("simulate")(simulate)
