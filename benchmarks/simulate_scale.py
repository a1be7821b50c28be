"""Scale benchmark: `simulate` 100,000 requests of the chat preset under each built-in strategy.

    python benchmarks/simulate_scale.py [--requests 100000] [--workers 2] [--gpu H100-SXM] [--model llama-8b]

The cost model is the roofline of --model on --gpu (bf16, defaults of docs/simulate.md); knobs are
`tokbench run`'s defaults with the KV budget that GPU's memory leaves. Prints the time to build the
workload, each strategy's simulated steps and rows, and the wall time of the whole simulation
(strategies in --workers processes at once), then the load average: the figures mean little on a
busy machine.
"""

from __future__ import annotations

import argparse
import os
import time

from tokbench.benchmark.strategy_registry import builtin_names, resolve
from tokbench.engine.policy import SchedulerConfig
from tokbench.model.presets import PRESETS
from tokbench.simulate import RooflineModel, simulate
from tokbench.simulate.gpu_memory import gpu_kv_budget
from tokbench.workload import WorkloadOptions, load_workload


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--gpu", default="H100-SXM")
    ap.add_argument("--model", default="llama-8b")
    ap.add_argument("--workload", default="chat")
    ap.add_argument("--strategy", action="append", help="default: all built-ins")
    a = ap.parse_args()

    cfg = PRESETS[a.model]
    model = RooflineModel.build(a.gpu, cfg)
    t0 = time.perf_counter()
    wl = load_workload(a.workload, seed=0, vocab_size=cfg.vocab_size, max_model_len=cfg.max_model_len,
                       options=WorkloadOptions(num_requests=a.requests), lengths_only=True)
    knobs = dict(max_num_seqs=128, max_batch_tokens=2048)
    budget = gpu_kv_budget(model, wl.requests, **knobs)
    sched = SchedulerConfig(kv_budget_tokens=budget, max_model_len=cfg.max_model_len, **knobs)
    t1 = time.perf_counter()
    strategies = [resolve(s) for s in (a.strategy or builtin_names())]
    runs = simulate(strategies, sched, wl.requests, model, workers=a.workers)
    t2 = time.perf_counter()
    print(f"workload: {len(wl.requests):,} requests of {a.workload} in {t1 - t0:.2f} s; KV budget {budget:,} tokens")
    for r in runs:
        s = r.summary
        rows = int(r.tables["steps"]["batch_size"].sum())
        print(f"{r.name:14s} steps {s['num_steps']:>10,} rows {rows:>12,}  simulated {s['duration_s']:>10,.0f} s"
              f"  out {s['output_throughput']:>9,.0f} tok/s  TTFT p50 {s['median_ttft_ms']:>9,.1f} ms")
    print(f"simulation: {t2 - t1:.1f} s for {len(runs)} strategies with {a.workers} worker(s); "
          f"total {t2 - t0:.1f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
