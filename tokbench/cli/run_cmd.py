"""`tokbench run`: serve one workload under each strategy and write comparable results."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import torch
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tokbench.bench import Engine, run_strategy
from tokbench.cli import workload_flags as wf
from tokbench.cli.app import app
from tokbench.cli.run_options import default_kv_budget, parse_slo, resolve_device, resolve_dtype
from tokbench.cli.run_tables import print_summary, print_verification
from tokbench.cli.run_workload import load_run_workload
from tokbench.environment import describe_environment
from tokbench.errors import UserError
from tokbench.metrics.hardware import device_peaks
from tokbench.model import load_model, resolve_config
from tokbench.peers import parse_backends, run_peers
from tokbench.results.writer import write_results
from tokbench.strategy import SchedulerConfig, builtin_names, resolve
from tokbench.verify import compare_outputs, reference_outputs

K = "Scheduler knobs (equal for every strategy)"


@app.command("run")
def run(
    strategy: Annotated[list[str], typer.Option("--strategy", "-s", help="Strategy name (repeatable), 'all', or path/to/file.py:Class.")] = ["all"],  # noqa: B006
    workload: Annotated[str, typer.Option("--workload", "-w", help="Workload preset name or trace/spec file.")] = "high-variance",
    model: Annotated[str, typer.Option("--model", "-m", help="Model preset (tiny, llama-1b, llama-8b, qwen2.5-7b) or HF directory.")] = "tiny",
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    dtype: Annotated[str, typer.Option(help="auto (fp32 on CPU, bf16 on CUDA), fp32, bf16 or fp16.")] = "auto",
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory.")] = Path("results/latest"),
    seed: Annotated[int, typer.Option(help="Seed for random weights and the workload.")] = 0,
    verify: Annotated[bool, typer.Option("--verify", help="Check every strategy's tokens against the one-at-a-time reference.")] = False,
    save_outputs: Annotated[bool, typer.Option("--save-outputs", help="Write prompt and output token ids per request.")] = False,
    warmup: Annotated[bool, typer.Option("--warmup/--no-warmup", help="Run and discard a short warmup first.")] = True,
    slo: Annotated[Optional[str], typer.Option(help="SLOs for goodput: ttft_ms=…,tpot_ms=…,e2el_ms=…")] = None,
    attention: Annotated[str, typer.Option(help="Attention backend: auto or a backend name.")] = "auto",
    threads: Annotated[Optional[int], typer.Option(help="CPU threads for torch (default: all cores).")] = None,
    backend: Annotated[list[str], typer.Option("--backend", "-b", help="tokbench, hf, vllm (or hf:generate, hf:continuous, vllm:chunked, vllm:no-chunk); repeatable. Peers: docs/peers.md.")] = ["tokbench"],  # noqa: B006
    max_model_len: Annotated[Optional[int], typer.Option(help="Cap the model's max length.", rich_help_panel=K)] = None,
    kv_budget_tokens: Annotated[Optional[int], typer.Option(help="KV memory in token slots (default: 16 x max_model_len).", rich_help_panel=K)] = None,
    max_num_seqs: Annotated[int, typer.Option(help="Most sequences in a batch.", rich_help_panel=K)] = 128,
    max_batch_tokens: Annotated[int, typer.Option(help="Token budget per step.", rich_help_panel=K)] = 2048,
    block_size: Annotated[int, typer.Option(help="Paged KV block size.", rich_help_panel=K)] = 16,
    chunk_size: Annotated[int, typer.Option(help="Longest prefill chunk per step.", rich_help_panel=K)] = 512,
    watermark: Annotated[float, typer.Option(help="Fraction of KV blocks kept free at admission.", rich_help_panel=K)] = 0.01,
    order: Annotated[str, typer.Option(help="Admission order: fcfs or sjf.", rich_help_panel=K)] = "fcfs",
    bin_tokens: Annotated[Optional[int], typer.Option(help="ffd-packing bin capacity (default: KV budget).", rich_help_panel=K)] = None,
    format: wf.Format = None, column: wf.Column = None, time_unit: wf.TimeUnit = None, delimiter: wf.Delimiter = None,
    time_scale: wf.TimeScale = 1.0, rate_scale: wf.RateScale = 1.0, window: wf.Window = None, limit: wf.Limit = None,
    sample: wf.Sample = None, num_requests: wf.NumRequests = None, length_scale: wf.LengthScale = 1.0,
    over_length: wf.OverLength = None, skip_bad_rows: wf.SkipBadRows = False, sort_by_time: wf.SortByTime = False,
    offline: wf.Offline = False, tokenizer: wf.Tokenizer = None,
) -> None:
    """Run actual inference for one workload under each strategy, on one engine."""
    console = Console(stderr=True)
    names = builtin_names() if "all" in strategy else strategy
    use_tokbench, peers = parse_backends(backend)
    strategies = [resolve(name) for name in dict.fromkeys(names)] if use_tokbench else []
    slo_spec = parse_slo(slo)
    dev = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, dev)
    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads {threads}: must be at least 1")
        torch.set_num_threads(threads)
    else:
        torch.set_num_threads(os.cpu_count() or 1)
    options = wf.make_options(
        format=format, column=column, time_unit=time_unit, delimiter=delimiter, time_scale=time_scale,
        rate_scale=rate_scale, window=window, limit=limit, sample=sample, num_requests=num_requests,
        length_scale=length_scale, over_length=over_length or "clip", skip_bad_rows=skip_bad_rows,
        sort_by_time=sort_by_time, offline=offline, tokenizer=tokenizer, progress=True)
    model_cfg = resolve_config(model)
    wl = load_run_workload(workload, seed=seed, model_cfg=model_cfg, max_model_len=max_model_len,
                           options=options, over_length_given=over_length is not None, console=console)

    loaded = load_model(model, dtype=torch_dtype, device=dev, seed=seed, max_model_len=max_model_len)
    cfg = loaded.cfg
    bytes_per_token = cfg.kv_bytes_per_token(torch.finfo(torch_dtype).bits // 8)
    budget = kv_budget_tokens or default_kv_budget(cfg.max_model_len, dev, bytes_per_token, loaded.model.weight_bytes)
    sched = SchedulerConfig(kv_budget_tokens=budget, max_model_len=cfg.max_model_len, max_num_seqs=max_num_seqs,
                            max_batch_tokens=max_batch_tokens, block_size=block_size, chunk_size=chunk_size,
                            watermark=watermark, order=order, bin_tokens=bin_tokens)
    sched.validate()
    engine = Engine(loaded, budget, attention)
    for cls in strategies:  # every strategy accepts the knobs and every request before any runs
        engine.check(cls, sched, wl.requests)
    peaks = device_peaks(dev, torch_dtype)

    runs = []
    with Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        for cls in strategies:
            task = progress.add_task(cls.name, total=len(wl.requests))
            runs.append(run_strategy(engine, cls, sched, wl, peaks=peaks, slo=slo_spec, warmup=warmup,
                                     on_step=lambda done, t=task: progress.update(t, completed=done)))
        runs += run_peers(peers, model_spec=model, loaded=loaded, requests=wl.requests, sched=sched, cost=engine.cost,
                          slo=slo_spec, warmup=warmup, threads=torch.get_num_threads(), progress=progress)

    if verify:
        console.print("[bold]verifying[/] against the one-request-at-a-time fp32 CPU reference…")
        reference = reference_outputs(loaded, wl.requests)
        for r in runs:
            r.verification = compare_outputs(reference, r.outputs)

    config = {
        "model": {"spec": model, "source": loaded.source, "dtype": str(torch_dtype).removeprefix("torch."),
                  "config": cfg.to_dict(), "weight_bytes": loaded.model.weight_bytes},
        "workload": {"spec": workload, "options": options.as_dict()},
        "seed": seed,
        "warmup": warmup,
        "scheduler": sched.to_dict(),
        "slo": {k: v for k, v in vars(slo_spec).items() if v is not None},
        "cost_model": engine.cost.to_dict(),
        "peaks": peaks.to_dict(),
    }
    tables = {name: [r.tables[name].assign(run=r.name) for r in runs] for name in ("requests", "steps", "tokens")}
    path = write_results(out, config=config, environment=describe_environment(dev, engine.backend.name),
                         runs=[r.describe() for r in runs], tables=tables, workload=wl,
                         outputs={r.name: r.outputs for r in runs} if save_outputs else None)
    print_summary(runs)
    if verify:
        print_verification(runs)
    console.print(f"results: {path}")
    if verify and any(r.verification["mismatches"] for r in runs):
        raise typer.Exit(1)
