"""Roofline what-if: packed against padded batching for a model on a GPU, beside the field's 2.08x.

    python benchmarks/simulate_packing.py [--gpu H100-SXM] [--model llama-8b] [--workload high-variance] [--tp 1]

`tokbench simulate --roofline GPU --model MODEL --workload WORKLOAD` at the roofline's defaults and
at the edges of its plausible factors (docs/simulate.md), `run`'s default knobs and the KV budget
the GPU's memory leaves; prints output throughput and the tokenmaxxing / static-padded ratio.
"""

from __future__ import annotations

import argparse

from tokbench.benchmark.config import ModelSettings, RunConfig, WorkloadSettings
from tokbench.simulate import roofline_for, simulate_benchmark

FIELD_CLAIM = 2.08  # packing over padded batching on an H100, as packing backends report it
VARIANTS = {"defaults": {}, "no step overhead": {"step_overhead_s": 0.0}, "2 ms step overhead": {"step_overhead_s": 2e-3},
            "flops efficiency 0.4": {"flops_efficiency": 0.4}, "bandwidth efficiency 0.6": {"bandwidth_efficiency": 0.6}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gpu", default="H100-SXM")
    ap.add_argument("--model", default="llama-8b")
    ap.add_argument("--workload", default="high-variance")
    ap.add_argument("--tp", type=int, default=1)
    a = ap.parse_args()
    config = RunConfig(model=ModelSettings(a.model), workload=WorkloadSettings(a.workload))
    print(f"{a.model} on {a.gpu} x{a.tp}, {a.workload}; the field's claim: {FIELD_CLAIM:.2f}x")
    for label, factors in VARIANTS.items():
        results = simulate_benchmark(config, roofline_for(config, a.gpu, tensor_parallel=a.tp, **factors))
        out = {r["name"]: r["summary"]["output_throughput"] for r in results.runs}
        figures = "  ".join(f"{k} {v:,.0f}" for k, v in out.items())
        print(f"  {label:26s} tokenmaxxing / static-padded {out['tokenmaxxing'] / out['static-padded']:.2f}x"
              f"   (output tok/s: {figures})")


if __name__ == "__main__":
    main()
