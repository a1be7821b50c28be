"""Where one run's time goes: linears, LM head, attention, elementwise, KV writes, host work.

    python benchmarks/engine_profile.py [--workload high-variance] [--strategy tokenmaxxing]
                                        [--threads N] [--repeats 3]

One strategy serves the workload on the tiny model (after a warmup), with the engine's functions
wrapped in wall-clock timers: each row is the time spent inside those calls, summed over the run,
from the fastest of the repeats. "host" rows are Python on the critical path: the strategy's
plan()/step_done(), the runner's input building and binding, and the rest (loop, recorder, model
glue, dispatch), which is the run's wall time minus every other row. Timers cost about a
microsecond a call (~20k calls: tens of milliseconds). docs/engine.md shows the table.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import torch

from tokbench.benchmark.kv_sizing import CPU_DEFAULT_SEQUENCES
from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine import runner as runner_module
from tokbench.engine.attention import decode_rows, sdpa
from tokbench.engine.engine import Engine
from tokbench.engine.policy import SchedulerConfig
from tokbench.model import elementwise, greedy_head, load_model, packed_linear
from tokbench.workload import load_workload
from tokbench.workload.warmup import warmup_requests

SPENT: dict[str, float] = defaultdict(float)


def timed(category: str, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[category] += time.perf_counter() - start
    return wrapper


@contextmanager
def patched(obj, name: str, category: str):
    original = getattr(obj, name)
    setattr(obj, name, timed(category, original))
    try:
        yield
    finally:
        setattr(obj, name, original)


@dataclass
class Profile:
    wall: float  # seconds, the fastest repeat
    rows: dict[str, float]  # seconds by row, that repeat's; "host: loop, recorder, model glue" is the rest
    out_tokens: int
    elementwise_path: str
    lm_head_path: str


def profile(workload: str, strategy_name: str, repeats: int) -> Profile:
    loaded = load_model("tiny", dtype=torch.float32, device=torch.device("cpu"), seed=0)
    cfg = loaded.cfg
    wl = load_workload(workload, seed=0, vocab_size=cfg.vocab_size, max_model_len=cfg.max_model_len)
    budget = CPU_DEFAULT_SEQUENCES * cfg.max_model_len
    sched = SchedulerConfig(kv_budget_tokens=budget, max_model_len=cfg.max_model_len)
    engine = Engine(loaded, budget)
    strategy = resolve(strategy_name)
    engine.serve(strategy, sched, warmup_requests(wl.requests))

    model = loaded.model
    wrappers = [
        (packed_linear.PackedLinear, "forward", "linear layers"),
        (torch.nn.Linear, "forward", "linear layers"),
        (decode_rows.DecodeRows, "__call__", "attention: decode rows"),
        (sdpa, "attend_row", "attention: prefill chunks"),
        (sdpa, "store_kv", "KV cache writes"),
        (elementwise.NativeElementwise, "add_rms_norm", "elementwise: add + RMSNorm"),
        (elementwise.TorchElementwise, "add_rms_norm", "elementwise: add + RMSNorm"),
        (elementwise.NativeRotation, "apply", "elementwise: RoPE"),
        (elementwise.TorchElementwise, "silu_mul", "elementwise: SiLU*mul"),
        (elementwise.NativeElementwise, "silu_mul", "elementwise: SiLU*mul"),
        (elementwise.TorchElementwise, "argmax", "elementwise: argmax"),
        (elementwise.NativeElementwise, "argmax", "elementwise: argmax"),
        (greedy_head.ScreenedGreedyHead, "__call__", "LM head: int8 screen + recheck"),
        (runner_module, "build_step_inputs", "host: step inputs"),
        (type(engine.backend), "bind", "host: step inputs"),
        (strategy, "plan", "host: strategy plan/step_done"),
        (strategy, "step_done", "host: strategy plan/step_done"),
    ]
    best: dict[str, float] | None = None
    out_tokens = 0
    for _ in range(repeats):
        SPENT.clear()
        with wrapped(wrappers), patched(model.lm_head, "forward", "LM head: full"):
            start = time.perf_counter()
            rec = engine.serve(strategy, sched, wl.requests)
            wall = time.perf_counter() - start
        row = dict(SPENT)
        # Linear layers include the full LM head's call (the screen is not a linear): count it once, in its own row.
        row["linear layers"] = row.get("linear layers", 0.0) - row.get("LM head: full", 0.0)
        row["wall"] = wall
        out_tokens = sum(len(v) for v in rec.outputs.values())
        if best is None or wall < best["wall"]:
            best = row
    wall = best.pop("wall")
    best["host: loop, recorder, model glue"] = wall - sum(best.values())
    return Profile(wall, best, out_tokens, model.elementwise_path, model.lm_head_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", default="high-variance")
    parser.add_argument("--strategy", default="tokenmaxxing")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    a = parser.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    p = profile(a.workload, a.strategy, a.repeats)
    print(f"{a.strategy} on {a.workload}: {p.wall:.2f} s wall (fastest of {a.repeats}), {p.out_tokens / p.wall:.0f} "
          f"output tok/s, {torch.get_num_threads()} threads, elementwise {p.elementwise_path}, LM head {p.lm_head_path}")
    for name, seconds in sorted(p.rows.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<36}{seconds:>8.2f} s {100 * seconds / p.wall:>6.1f}%")


@contextmanager
def wrapped(wrappers):
    with ExitStack() as stack:
        for obj, name, category in wrappers:
            if not hasattr(obj, name):  # renamed in the engine: the row would silently read zero
                raise AttributeError(f"{obj.__name__} has no {name} to time for {category!r}")
            if name in vars(obj):  # only what the class itself defines (no double wrapping via a base)
                stack.enter_context(patched(obj, name, category))
        yield


if __name__ == "__main__":
    main()
