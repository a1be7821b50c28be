"""Per-op cost of the model's elementwise work: torch ops, the fused native kernels, torch.compile.

    python benchmarks/elementwise_ops.py [--tokens 1 36 2048] [--threads N] [--compile] [--repeats 200]

The tiny model's shapes (hidden 256, 12 q|k heads of 32, intermediate 704, vocabulary 32000).
Each op is timed per call, the variants interleaved round by round and the minimum kept, so a busy
machine slows all of them alike. --compile adds torch.compile(dynamic=False) of the torch formulas,
one compile per shape (its compile time is printed too: it would count against warmup).
"""

from __future__ import annotations

import argparse
import time

import torch

from tokbench.model.config import ModelConfig
from tokbench.model.elementwise import NativeElementwise, TorchElementwise
from tokbench.model.llama import RMSNorm
from tokbench.model.rope import RotaryTable

CFG = ModelConfig(name="tiny", architecture="llama", vocab_size=32000, hidden_size=256, intermediate_size=704,
                  num_layers=6, num_heads=8, num_kv_heads=4, head_dim=32, max_model_len=2048)


def cases(t: int):
    """{op: (make_args, call(kernels, *args))}: each call does what one model step does once per layer."""
    h, inter, heads, d = CFG.hidden_size, CFG.intermediate_size, CFG.num_heads + CFG.num_kv_heads, CFG.head_dim
    norm = RMSNorm(h, CFG.rms_norm_eps)
    table = RotaryTable(CFG, torch.device("cpu"), torch.float32)
    qkv_width = (CFG.num_heads + 2 * CFG.num_kv_heads) * d
    rows = min(t, 64)  # rows that sample a token
    return {
        "add+rmsnorm": (lambda: (torch.randn(t, h), torch.randn(t, h)),
                        lambda ew, x, dx: ew.add_rms_norm(x, dx, norm)),
        "rope q|k": (lambda: (torch.randn(t, qkv_width), torch.randint(0, 2000, (t,))),
                     lambda ew, qkv, pos: ew.rotation(table, pos).apply(qkv[:, : heads * d].view(t, heads, d))),
        "silu*mul": (lambda: (torch.randn(t, 2 * inter),), lambda ew, gu: ew.silu_mul(gu)),
        "argmax": (lambda: (torch.randn(rows, CFG.vocab_size),), lambda ew, logits: ew.argmax(logits)),
    }


def best_us(fn, args, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, nargs="+", default=[1, 36, 2048])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compile", action="store_true")
    a = parser.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    variants = {"torch": TorchElementwise(), "native": NativeElementwise()}
    print(f"threads {torch.get_num_threads()}; microseconds per call, best of {a.rounds} x {a.repeats}")
    print(f"{'op':<13}{'tokens':>7}" + "".join(f"{v:>10}" for v in variants) + ("   compiled (compile s)" if a.compile else ""))
    with torch.inference_mode():
        for t in a.tokens:
            for op, (make, call) in cases(t).items():
                args = make()
                fns = {name: (lambda *xs, ew=ew: call(ew, *xs)) for name, ew in variants.items()}
                compile_s = None
                if a.compile:
                    start = time.perf_counter()
                    compiled = torch.compile(lambda *xs: call(variants["torch"], *xs), dynamic=False)
                    compiled(*make())
                    compile_s = time.perf_counter() - start
                    fns["compiled"] = compiled
                best = {name: float("inf") for name in fns}
                for _ in range(a.rounds):  # interleaved: noise from other processes hits every variant
                    for name, fn in fns.items():
                        fresh = make()  # in-place kernels must not compound over repeats
                        best[name] = min(best[name], best_us(fn, fresh, a.repeats))
                line = f"{op:<13}{t:>7}" + "".join(f"{best[v]:>10.1f}" for v in variants)
                if compile_s is not None:
                    line += f"{best['compiled']:>11.1f} ({compile_s:.1f})"
                print(line, flush=True)


if __name__ == "__main__":
    main()
