"""`tokbench run`: flags (and/or --config FILE) -> RunConfig -> run_benchmark -> print and write.

Only the flags live here; the work is in the library (tokbench/benchmark/), imported when the
command runs, so other commands start without loading torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tokbench.cli import workload_flags as wf
from tokbench.cli.app import app

K = "Scheduler knobs (equal for every strategy that reads them)"


@app.command("run")
def run(
    ctx: typer.Context,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Run configuration: a TOML/JSON file, or a results directory / results.json to run again; flags given here override it.")] = None,
    print_config: Annotated[bool, typer.Option("--print-config", help="Print the run configuration as TOML and exit (save it, edit it, pass it to --config).")] = False,
    strategy: Annotated[list[str], typer.Option("--strategy", "-s", help="Strategy name (repeatable), 'all', or path/to/file.py:Class.")] = ["all"],  # noqa: B006
    ablation: Annotated[bool, typer.Option("--ablation", help="Run the ladder static-padded → continuous → continuous-paged → tokenmaxxing-nochunk → tokenmaxxing and report what each step changes.")] = False,
    repeats: Annotated[int, typer.Option("--repeats", help="Serve the workload N times per strategy, in a rotating order; report medians with 95% intervals, and name a winner only where the interval excludes a tie.")] = 1,
    target_precision: Annotated[Optional[float], typer.Option("--target-precision", metavar="PERCENT", help="Add rounds (at least --repeats, at least 2) until every run's output throughput has a 95% interval within ±PERCENT of its median, or --max-repeats is reached.")] = None,
    max_repeats: Annotated[Optional[int], typer.Option("--max-repeats", help="With --target-precision: the most rounds (default 10, or --repeats if more).")] = None,
    workload: Annotated[str, typer.Option("--workload", "-w", help="Workload preset name or trace/spec file.")] = "quick",
    model: Annotated[str, typer.Option("--model", "-m", help="Model preset (tiny, llama-1b, llama-8b, qwen2.5-7b) or HF directory.")] = "tiny",
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    dtype: Annotated[str, typer.Option(help="auto (fp32 on CPU, bf16 on CUDA), fp32, bf16 or fp16.")] = "auto",
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory (replaced whole when the run ends; each finished strategy is kept there as the run goes).")] = Path("results/latest"),
    wait: Annotated[bool, typer.Option("--wait", help="If another run is writing --out, wait for it instead of refusing.")] = False,
    seed: Annotated[int, typer.Option(help="Seed for random weights and the workload.")] = 0,
    verify: Annotated[bool, typer.Option("--verify", help="Check every strategy's tokens against the one-at-a-time reference.")] = False,
    save_outputs: Annotated[bool, typer.Option("--save-outputs", help="Write prompt and output token ids per request.")] = False,
    warmup: Annotated[bool, typer.Option("--warmup/--no-warmup", help="Run and discard a short warmup first.")] = True,
    slo: Annotated[Optional[str], typer.Option(help="SLOs for goodput: ttft_ms=…,tpot_ms=…,e2el_ms=…")] = None,
    attention: Annotated[str, typer.Option(help="Attention backend: auto or a backend name.")] = "auto",
    threads: Annotated[Optional[int], typer.Option(help="CPU threads for torch (default: all usable cores).")] = None,
    cuda_graphs: Annotated[bool, typer.Option("--cuda-graphs/--no-cuda-graphs", help="Replay decode steps as CUDA graphs (kernel backends on CUDA).")] = True,
    gpu_memory_utilization: Annotated[float, typer.Option(help="Share of GPU memory tokbench may use (weights, activations, KV).")] = 0.9,
    backend: Annotated[list[str], typer.Option("--backend", "-b", help="tokbench, hf, vllm (or hf:generate, hf:continuous, vllm:chunked, vllm:no-chunk); repeatable. Peers: docs/peers.md.")] = ["tokbench"],  # noqa: B006
    max_model_len: Annotated[Optional[int], typer.Option(help="Lower the model's max length (never above the model's own).", rich_help_panel=K)] = None,
    kv_budget_tokens: Annotated[Optional[int], typer.Option(help="KV memory in token slots (default: 16 x max_model_len on CPU; what fits on a GPU).", rich_help_panel=K)] = None,
    max_num_seqs: Annotated[int, typer.Option(help="Most sequences in a batch.", rich_help_panel=K)] = 128,
    max_batch_tokens: Annotated[int, typer.Option(help="Token budget per step.", rich_help_panel=K)] = 2048,
    block_size: Annotated[int, typer.Option(help="Paged KV block size.", rich_help_panel=K)] = 16,
    chunk_size: Annotated[Optional[int], typer.Option(help="tokenmaxxing: longest prefill chunk per step (512). Same as --knob chunk_size=N.", rich_help_panel=K)] = None,
    watermark: Annotated[Optional[float], typer.Option(help="tokenmaxxing: fraction of KV blocks kept free at admission (0.01).", rich_help_panel=K)] = None,
    order: Annotated[Optional[str], typer.Option(help="tokenmaxxing: admission order, fcfs or sjf (fcfs).", rich_help_panel=K)] = None,
    bin_tokens: Annotated[Optional[int], typer.Option(help="ffd-packing: bin capacity (default: KV budget).", rich_help_panel=K)] = None,
    knob: Annotated[Optional[list[str]], typer.Option("--knob", help="A strategy's own knob: NAME=VALUE (repeatable; docs/strategies.md).", rich_help_panel=K)] = None,
    format: wf.Format = None, column: wf.Column = None, time_unit: wf.TimeUnit = None, delimiter: wf.Delimiter = None,
    time_scale: wf.TimeScale = 1.0, rate_scale: wf.RateScale = 1.0, window: wf.Window = None, limit: wf.Limit = None,
    sample: wf.Sample = None, num_requests: wf.NumRequests = None, length_scale: wf.LengthScale = 1.0,
    over_length: wf.OverLength = "refuse", skip_bad_rows: wf.SkipBadRows = False, sort_by_time: wf.SortByTime = False,
    offline: wf.Offline = False, tokenizer: wf.Tokenizer = None,
) -> None:
    """Run actual inference for one workload under each strategy, on one engine."""
    from tokbench.cli.run_main import given_flags, run_main

    run_main(given_flags(ctx), config, print_config, wait)
