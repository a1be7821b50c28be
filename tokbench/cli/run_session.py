"""What `tokbench run` does once its flags are read: load, check everything, run, write, print.

Everything a user can get wrong is checked before the first strategy runs. A strategy that runs
out of GPU memory is reported in one line and the others' results are still written.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import torch
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tokbench.engine.engine import Engine, run_strategy
from tokbench.cli import workload_flags as wf
from tokbench.cli.run_budget import resolve_kv_budget
from tokbench.cli.run_options import parse_slo, resolve_device, resolve_dtype
from tokbench.cli.run_tables import print_summary, print_verification
from tokbench.cli.run_workload import load_run_workload
from tokbench.engine.memory_budget import oom_message
from tokbench.environment import describe_environment
from tokbench.errors import UserError
from tokbench.metrics.hardware import device_peaks
from tokbench.model import load_model, resolve_config
from tokbench.peers import parse_backends, run_peers
from tokbench.results.writer import write_results
from tokbench.engine.policy import SchedulerConfig
from tokbench.benchmark.strategy_registry import builtin_names, resolve
from tokbench.verify import compare_outputs, reference_outputs


def _set_threads(threads: int | None) -> None:
    if threads is not None and threads < 1:
        raise UserError(f"--threads {threads}: must be at least 1")
    torch.set_num_threads(threads or os.cpu_count() or 1)


def _workload_options(a: SimpleNamespace):
    return wf.make_options(
        format=a.format, column=a.column, time_unit=a.time_unit, delimiter=a.delimiter, time_scale=a.time_scale,
        rate_scale=a.rate_scale, window=a.window, limit=a.limit, sample=a.sample, num_requests=a.num_requests,
        length_scale=a.length_scale, over_length=a.over_length or "clip", skip_bad_rows=a.skip_bad_rows,
        sort_by_time=a.sort_by_time, offline=a.offline, tokenizer=a.tokenizer, progress=True)


def _scheduler(a: SimpleNamespace, budget: int, max_model_len: int) -> SchedulerConfig:
    sched = SchedulerConfig(kv_budget_tokens=budget, max_model_len=max_model_len, max_num_seqs=a.max_num_seqs,
                            max_batch_tokens=a.max_batch_tokens, block_size=a.block_size, chunk_size=a.chunk_size,
                            watermark=a.watermark, order=a.order, bin_tokens=a.bin_tokens)
    sched.validate()
    return sched


def run_session(a: SimpleNamespace) -> None:
    console = Console(stderr=True)
    use_tokbench, peers = parse_backends(a.backend)
    names = builtin_names() if "all" in a.strategy else a.strategy
    strategies = [resolve(name) for name in dict.fromkeys(names)] if use_tokbench else []
    slo = parse_slo(a.slo)
    dev = resolve_device(a.device)
    dtype = resolve_dtype(a.dtype, dev)
    _set_threads(a.threads)
    _scheduler(a, 1 if a.kv_budget_tokens is None else a.kv_budget_tokens, 2)  # knob errors before any loading
    options = _workload_options(a)
    wl = load_run_workload(a.workload, seed=a.seed, model_cfg=resolve_config(a.model), max_model_len=a.max_model_len,
                           options=options, over_length_given=a.over_length is not None, console=console)

    loaded = load_model(a.model, dtype=dtype, device=dev, seed=a.seed, max_model_len=a.max_model_len)
    budget, gpu_budget = resolve_kv_budget(loaded, wl.requests, requested=a.kv_budget_tokens,
                                           utilization=a.gpu_memory_utilization, max_batch_tokens=a.max_batch_tokens,
                                           max_num_seqs=a.max_num_seqs, bin_tokens=a.bin_tokens)
    sched = _scheduler(a, budget, loaded.cfg.max_model_len)
    paged = any(cls.kv_layout == "paged" for cls in strategies)
    engine = Engine(loaded, budget, a.attention, paged_block_size=a.block_size if paged else None,
                    cuda_graphs=a.cuda_graphs, max_num_seqs=a.max_num_seqs)
    for cls in strategies:  # every strategy accepts the knobs and every request before any runs
        engine.check(cls, sched, wl.requests)
    peaks = device_peaks(dev, dtype)

    runs, failures = [], []
    with Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        for cls in strategies:
            task = progress.add_task(cls.name, total=len(wl.requests))
            try:
                runs.append(run_strategy(engine, cls, sched, wl, peaks=peaks, slo=slo, warmup=a.warmup,
                                         on_step=lambda done, t=task: progress.update(t, completed=done)))
            except torch.OutOfMemoryError as exc:
                torch.cuda.empty_cache()
                free = torch.cuda.mem_get_info(dev)[0]
                failures.append(oom_message(cls.name, gpu_budget, str(exc), free) if gpu_budget
                                else f"{cls.name}: out of memory ({exc})")
        runs += run_peers(peers, model_spec=a.model, loaded=loaded, requests=wl.requests, sched=sched,
                          cost=engine.cost, slo=slo, warmup=a.warmup, threads=torch.get_num_threads(),
                          progress=progress)
    if not runs:
        raise UserError("; ".join(failures) or "nothing ran")

    if a.verify:
        console.print("[bold]verifying[/] against the one-request-at-a-time fp32 CPU reference…")
        reference = reference_outputs(loaded, wl.requests)
        for r in runs:
            r.verification = compare_outputs(reference, r.outputs)

    config = {
        "model": {"spec": a.model, "source": loaded.source, "dtype": str(dtype).removeprefix("torch."),
                  "config": loaded.cfg.to_dict(), "weight_bytes": loaded.model.weight_bytes},
        "workload": {"spec": a.workload, "options": options.as_dict()},
        "seed": a.seed,
        "warmup": a.warmup,
        "scheduler": sched.to_dict(),
        "kv_sizing": gpu_budget.to_dict() if gpu_budget else {"source": "given" if a.kv_budget_tokens else "default"},
        "slo": {k: v for k, v in vars(slo).items() if v is not None},
        "cost_model": engine.cost.to_dict(),
        "peaks": peaks.to_dict(),
    }
    environment = {**describe_environment(dev, engine.backend.name), **engine.describe_backend()}
    tables = {name: [r.tables[name].assign(run=r.name) for r in runs] for name in ("requests", "steps", "tokens")}
    path = write_results(a.out, config=config, environment=environment, runs=[r.describe() for r in runs],
                         tables=tables, workload=wl,
                         outputs={r.name: r.outputs for r in runs} if a.save_outputs else None)
    print_summary(runs)
    if a.verify:
        print_verification(runs)
    console.print(f"results: {path}")
    for line in failures:
        console.print(f"[red]tokbench: error:[/] {line}")
    if failures or (a.verify and any(r.verification["mismatches"] for r in runs)):
        raise typer.Exit(1)
