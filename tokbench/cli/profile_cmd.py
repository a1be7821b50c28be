"""`tokbench profile TRACE`: what the traffic looks like and which strategy it favours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from tokbench.cli import workload_flags as wf
from tokbench.cli.app import app
from tokbench.errors import UserError
from tokbench.profile.describe import run_command
from tokbench.profile.concurrency import DEFAULT_PREFILL_TPS, DEFAULT_TPOT_MS
from tokbench.profile.packing_efficiency import TOKEN_BUDGETS
from tokbench.profile.padding_waste import BATCH_SIZES
from tokbench.profile.summary import profile_table, served_table
from tokbench.profile.target import DEFAULT_MODEL, resolve_target
from tokbench.workload import load_table

DEFAULT_BATCHES = ",".join(map(str, BATCH_SIZES))
DEFAULT_BUDGETS = ",".join(map(str, TOKEN_BUDGETS))


def _int_list(text: str, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise UserError(f"{flag} must be a comma-separated list of positive integers, got {text!r}")
    return values


@app.command("profile")
def profile(
    trace: Annotated[
        str,
        typer.Argument(
            help="Trace file (Azure, BurstGPT, Mooncake, length CSV, ShareGPT, "
            "CSV/JSONL/Parquet, optionally gzipped) or a preset name."
        ),
    ],
    format: wf.Format = None,
    column: wf.Column = None,
    time_unit: wf.TimeUnit = None,
    delimiter: wf.Delimiter = None,
    time_scale: wf.TimeScale = 1.0,
    rate_scale: wf.RateScale = 1.0,
    window: wf.Window = None,
    limit: wf.Limit = None,
    sample: wf.Sample = None,
    num_requests: wf.NumRequests = None,
    length_scale: wf.LengthScale = 1.0,
    over_length: wf.OverLength = "clip",
    skip_bad_rows: wf.SkipBadRows = False,
    sort_by_time: wf.SortByTime = False,
    offline: wf.Offline = False,
    tokenizer: wf.Tokenizer = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model the run would use (its max_model_len is the default limit).")] = DEFAULT_MODEL,
    max_model_len: Annotated[Optional[int], typer.Option(help="Clip or drop requests longer than this (default: the model's).")] = None,
    kv_budget_tokens: Annotated[Optional[int], typer.Option(help="KV memory of the run in token slots (default: run's CPU default, 16 x max_model_len).")] = None,
    max_num_seqs: Annotated[Optional[int], typer.Option(help="The run's --max-num-seqs (default: recommend one).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for presets and --sample.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the profile as JSON on stdout.")] = False,
    report: Annotated[Optional[Path], typer.Option(help="Write a .md or .html report with PNG plots.")] = None,
    batch_sizes: Annotated[str, typer.Option(help="Static batch sizes for padding waste.")] = DEFAULT_BATCHES,
    budgets: Annotated[str, typer.Option(help="Token budgets for FFD packing.")] = DEFAULT_BUDGETS,
    tpot_ms: Annotated[float, typer.Option(help="Concurrency model: ms per output token.")] = DEFAULT_TPOT_MS,
    prefill_tps: Annotated[float, typer.Option(help="Concurrency model: prefill tokens/s.")] = DEFAULT_PREFILL_TPS,
    idle_gap_s: Annotated[float, typer.Option(help="A gap between arrivals this long counts as idle.")] = 1.0,
) -> None:
    """Profile a trace or preset before running it ("profile before you pack")."""
    options = wf.make_options(
        format=format,
        column=column,
        time_unit=time_unit,
        delimiter=delimiter,
        time_scale=time_scale,
        rate_scale=rate_scale,
        window=window,
        limit=limit,
        sample=sample,
        num_requests=num_requests,
        length_scale=length_scale,
        over_length=over_length,
        skip_bad_rows=skip_bad_rows,
        sort_by_time=sort_by_time,
        offline=offline,
        tokenizer=tokenizer,
        progress=not as_json,
    )
    if tpot_ms <= 0 or prefill_tps <= 0 or idle_gap_s <= 0:
        raise UserError("--tpot-ms, --prefill-tps and --idle-gap-s must be > 0")
    target = resolve_target(model=model, max_model_len=max_model_len, kv_budget_tokens=kv_budget_tokens,
                            max_num_seqs=max_num_seqs)
    traced = load_table(trace, seed=seed, options=options)
    table = served_table(traced, target, over_length)
    result = profile_table(
        traced,
        target,
        served=table,
        over_length=over_length,
        batch_sizes=_int_list(batch_sizes, "--batch-sizes"),
        token_budgets=_int_list(budgets, "--budgets"),
        tpot_ms=tpot_ms,
        prefill_tps=prefill_tps,
        idle_gap_s=idle_gap_s,
        seed=seed,
    )
    result["recommendation"]["command"] = run_command(result, seed=seed, target_flags=target.flags())
    if report is not None:
        from tokbench.profile.plots import profile_plots
        from tokbench.profile.render_report import write_report

        written = write_report(result, profile_plots(table, result), report)
        result["report_files"] = [str(p) for p in written]
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    from tokbench.profile.render_terminal import print_profile

    print_profile(result, Console())
    if report is not None:
        Console().print(f"report: {report} (plots beside it)")
