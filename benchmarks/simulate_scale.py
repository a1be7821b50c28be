"""Scale benchmark: `simulate` 100,000 requests of the chat preset under each built-in strategy.

    python benchmarks/simulate_scale.py [--requests 100000] [--workers 2] [--gpu H100-SXM] [--model llama-8b]

What `tokbench simulate --roofline GPU --model MODEL --workload chat --num-requests N --workers W`
does, without writing the results (tens of millions of token rows): the roofline of --model on
--gpu, `run`'s default knobs, the KV budget that GPU's memory leaves. Prints each strategy's
simulated steps and rows and the wall time, then the load average: the figures mean little on a
busy machine.
"""

from __future__ import annotations

import argparse
import os
import time

from tokbench.benchmark.config import ModelSettings, RunConfig, WorkloadSettings
from tokbench.simulate import roofline_for, simulate_benchmark
from tokbench.workload.options import WorkloadOptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--gpu", default="H100-SXM")
    ap.add_argument("--model", default="llama-8b")
    ap.add_argument("--workload", default="chat")
    a = ap.parse_args()

    config = RunConfig(model=ModelSettings(a.model),
                       workload=WorkloadSettings(a.workload, WorkloadOptions(num_requests=a.requests,
                                                                             over_length="refuse")))
    start = time.perf_counter()
    results = simulate_benchmark(config, roofline_for(config, a.gpu), workers=a.workers)
    wall = time.perf_counter() - start
    steps = results.steps.groupby("run")["batch_size"].agg(["size", "sum"])
    print(f"{a.requests:,} requests of {a.workload}, {a.model} on {a.gpu}; KV budget "
          f"{results.doc['config']['scheduler']['kv_budget_tokens']:,} tokens")
    for r in results.runs:
        s = r["summary"]
        print(f"{r['name']:14s} steps {steps.loc[r['name'], 'size']:>10,} rows {steps.loc[r['name'], 'sum']:>12,}"
              f"  simulated {s['duration_s']:>9,.0f} s  out {s['output_throughput']:>8,.0f} tok/s"
              f"  TTFT p50 {s['median_ttft_ms']:>11,.1f} ms")
    print(f"simulation: {wall:.1f} s wall with {a.workers} worker(s); load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
