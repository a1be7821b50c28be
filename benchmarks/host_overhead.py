"""Host work per engine step: plan, input building, bookkeeping, with the forward pass skipped.

    python benchmarks/host_overhead.py [--running 1 64 256] [--paths cpu gpu-eager gpu-graphs]
                                       [--strategy NAME ...] [--repeats 5]

The real loop, the real strategies, the real Runner (inputs built and bound to the attention
backend exactly as in a run) and the real recorder; only the model is replaced by one that
computes nothing. N requests of equal length arrive at once, so every decode step has N running
sequences; the table shows microseconds per decode step at N (median over all such steps of all
repeats):

- plan: the strategy's plan() and step_done() (policy code, strategies/*.py);
- inputs: Runner.execute: the plan turned into tensors and bound to the attention backend, then the
  sampled tokens handed back;
- loop+rec: everything else in the loop (admission, recorder, sequences advancing).

Paths: `cpu` is what CPU runs do (SDPA backend, head-major KV, native decode-kernel tables);
`gpu-eager` the token-major kernel-metadata path (Triton backend) of non-graphed GPU steps;
`gpu-graphs` a GPU decode step staged into CUDA-graph buffers (run eagerly, no GPU). On this
machine every tensor stays on the CPU, so host-to-device copies are not counted.
Targets: total <= 500 us at 256 running and <= 100 us at 1, for every strategy (a GPU step of a small
model takes a few milliseconds; host work beyond these shares leaves the device idle).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import torch

from tokbench.benchmark.strategy_registry import builtin_names, resolve
from tokbench.engine.clock import Clock
from tokbench.engine.cuda_graphs import DecodeGraphs, graph_buckets
from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.loop import run_loop
from tokbench.engine.policy import SchedulerConfig
from tokbench.engine.runner import Runner
from tokbench.model import LoadedModel
from tokbench.model.config import ModelConfig
from tokbench.workload.types import Request

MAX_MODEL_LEN = 256
PROMPT, OUTPUT = 24, 40
# Small heads: the KV storage is allocated but never read (no attention runs).
CFG = ModelConfig(name="host-overhead", architecture="llama", vocab_size=32000, hidden_size=8, intermediate_size=8,
                  num_layers=1, num_heads=1, num_kv_heads=1, head_dim=8, max_model_len=MAX_MODEL_LEN)
CPU = torch.device("cpu")


class SkippedForward:
    """A model that computes nothing: zero hidden states, token 0 for every sampled row."""

    def __call__(self, input_ids: torch.Tensor, positions: torch.Tensor, attention, keep=None) -> torch.Tensor:
        return torch.zeros(input_ids.shape[0] if keep is None else keep.shape[0], 1)

    def greedy(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.zeros(hidden.shape[0], dtype=torch.long)


def make_runner(path: str, kv_layout: str, config: SchedulerConfig) -> Runner:
    loaded = LoadedModel(SkippedForward(), CFG, "host-overhead", torch.float32, CPU)
    if path == "cpu":
        from tokbench.engine.attention.sdpa import SDPABackend

        backend = SDPABackend()
    else:
        from tokbench.engine.attention.triton_backend import TritonBackend

        backend = TritonBackend()
    storage = KVStorage(CFG, config.kv_budget_tokens, torch.float32, CPU, head_major=backend.head_major_kv,
                        read_slack=MAX_MODEL_LEN if backend.head_major_kv else 0)
    runner = Runner(loaded, storage, backend)
    if path == "gpu-graphs":
        runner.graphs = DecodeGraphs(loaded.model, storage, backend, graph_buckets(config.max_num_seqs),
                                     MAX_MODEL_LEN, eager=True)
        runner.graphs.capture(kv_layout, config.block_size)
        # A replay is one launch on a real GPU: skip the eager stand-in's forward (and its closures).
        runner.graphs.graphs = {b: (lambda: None) for b in runner.graphs.graphs}
    return runner


def timed_run(name: str, n: int, path: str, seed: int) -> list[tuple[float, float, float]]:
    """(plan, inputs, loop+recorder) seconds of every decode step with n running sequences."""
    cls = resolve(name)
    config = SchedulerConfig(kv_budget_tokens=n * MAX_MODEL_LEN, max_model_len=MAX_MODEL_LEN, max_num_seqs=n,
                             max_batch_tokens=max(2048, n), knobs={"watermark": 0.0})
    kv = PagedKV(config.kv_budget_tokens, config.block_size) if cls.kv_layout == "paged" else ContiguousKV(
        config.kv_budget_tokens)
    policy = cls(config, kv)
    runner = make_runner(path, cls.kv_layout, config)
    rng = random.Random(seed)
    requests = [Request(i, 0.0, tuple(rng.randrange(CFG.vocab_size) for _ in range(PROMPT)), OUTPUT)
                for i in range(n)]

    steps: list[dict] = []
    clock = time.perf_counter
    plan, step_done, execute = policy.plan, policy.step_done, runner.execute

    def timed_plan(now):
        start = clock()
        out = plan(now)
        steps.append({"start": start, "plan": clock() - start, "plan_obj": out})
        return out

    def timed_step_done(p):
        start = clock()
        step_done(p)
        steps[-1]["plan"] += clock() - start

    def timed_execute(p, cache):
        start = clock()
        out = execute(p, cache)
        steps[-1]["inputs"] = clock() - start
        return out

    policy.plan, policy.step_done, runner.execute = timed_plan, timed_step_done, timed_execute
    run_loop(policy, requests, runner, Clock(CPU))
    rows = []
    for this, after in zip(steps, steps[1:]):
        p = this["plan_obj"]
        if p is None or len(p.chunks) != n or not all(c.length == 1 for c in p.chunks):
            continue
        total = after["start"] - this["start"]
        rows.append((this["plan"], this["inputs"], total - this["plan"] - this["inputs"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--running", type=int, nargs="+", default=[1, 64, 256])
    parser.add_argument("--paths", nargs="+", default=["cpu", "gpu-eager", "gpu-graphs"],
                        choices=["cpu", "gpu-eager", "gpu-graphs"])
    parser.add_argument("--strategy", nargs="+", default=None, help="default: every built-in strategy")
    parser.add_argument("--repeats", type=int, default=5)
    a = parser.parse_args()
    torch.set_num_threads(1)
    names = a.strategy or builtin_names()
    print("microseconds per decode step (median), forward skipped; targets: total <= 100 at 1, <= 500 at 256")
    print(f"{'path':<11}{'strategy':<15}{'running':>8}{'plan':>9}{'inputs':>9}{'loop+rec':>10}{'total':>9}")
    for path in a.paths:
        for name in names:
            for n in a.running:
                rows = [r for seed in range(a.repeats) for r in timed_run(name, n, path, seed)]
                if not rows:
                    print(f"{path:<11}{name:<15}{n:>8}   (no decode step ran {n} sequences)")
                    continue
                med = [statistics.median(col) * 1e6 for col in zip(*rows)]
                total = statistics.median(sum(r) for r in rows) * 1e6
                print(f"{path:<11}{name:<15}{n:>8}{med[0]:>9.1f}{med[1]:>9.1f}{med[2]:>10.1f}{total:>9.1f}",
                      flush=True)


if __name__ == "__main__":
    main()
