"""Roofline what-if: packed against padded batching for a model on a GPU, beside the field's 2.08x.

    python benchmarks/simulate_packing.py [--gpu H100-SXM] [--model llama-8b] [--workload high-variance] [--tp 1]

Simulates static-padded and tokenmaxxing (and the other built-ins) with the roofline cost model at
its defaults and at the edges of its plausible factors (docs/simulate.md), knobs at `tokbench
run`'s defaults and the KV budget the GPU's memory leaves, and prints output throughput and the
tokenmaxxing / static-padded ratio for each.
"""

from __future__ import annotations

import argparse

from tokbench.benchmark.strategy_registry import builtin_names, resolve
from tokbench.engine.policy import SchedulerConfig
from tokbench.model.presets import PRESETS
from tokbench.simulate import RooflineModel, simulate
from tokbench.simulate.gpu_memory import gpu_kv_budget
from tokbench.workload import load_workload

FIELD_CLAIM = 2.08  # packing over padded batching on an H100, as the field states it (issue 16)
VARIANTS = {"defaults": {}, "no step overhead": {"step_overhead_s": 0.0}, "2 ms step overhead": {"step_overhead_s": 2e-3},
            "flops efficiency 0.4": {"flops_efficiency": 0.4}, "bandwidth efficiency 0.6": {"bandwidth_efficiency": 0.6}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gpu", default="H100-SXM")
    ap.add_argument("--model", default="llama-8b")
    ap.add_argument("--workload", default="high-variance")
    ap.add_argument("--tp", type=int, default=1)
    a = ap.parse_args()
    cfg = PRESETS[a.model]
    wl = load_workload(a.workload, seed=0, vocab_size=cfg.vocab_size, max_model_len=cfg.max_model_len, lengths_only=True)
    strategies = [resolve(s) for s in builtin_names()]
    print(f"{a.model} on {a.gpu} x{a.tp}, {a.workload} ({len(wl.requests)} requests); field claim {FIELD_CLAIM:.2f}x")
    for label, factors in VARIANTS.items():
        model = RooflineModel.build(a.gpu, cfg, tensor_parallel=a.tp, **factors)
        budget = gpu_kv_budget(model, wl.requests, max_batch_tokens=2048, max_num_seqs=128)
        knobs = SchedulerConfig(kv_budget_tokens=budget, max_model_len=cfg.max_model_len)
        out = {r.name: r.summary["output_throughput"] for r in simulate(strategies, knobs, wl.requests, model)}
        figures = "  ".join(f"{k} {v:,.0f}" for k, v in out.items())
        print(f"  {label:26s} tokenmaxxing / static-padded {out['tokenmaxxing'] / out['static-padded']:.2f}x"
              f"   (output tok/s: {figures}; KV {budget:,} tokens)")


if __name__ == "__main__":
    main()
