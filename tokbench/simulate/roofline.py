"""The roofline cost model: a step's time from bytes moved and FLOPs, against a GPU's peaks.

Per step, on each of the `tensor_parallel` GPUs of a replica:

    linear    = max(weight bytes / tp ÷ BW,  (2·body·computed + 2·head·sampled) / tp ÷ FLOPS)
    attention = max((KV read + KV written) · KV bytes/token · share ÷ BW,  4·L·H·d · pairs / tp ÷ FLOPS)
    all-reduce = 2 per layer (tp > 1): latency + 2(tp-1)/tp · computed · hidden · dtype bytes ÷ LINK
    seconds   = linear + attention + all-reduce + step overhead

with BW = peak bandwidth × bandwidth_efficiency, FLOPS = peak FLOP/s at the dtype ×
flops_efficiency, LINK = one direction of the GPU-to-GPU link × link_efficiency, and share =
1 / min(tp, KV heads) (KV heads are split over GPUs, replicated beyond that). Linear layers and
attention are separate rooflines because a mixed step is compute-bound in one and memory-bound in
the other. docs/simulate.md explains the defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from tokbench.engine.plan import StepPlan
from tokbench.engine.recorder import StepCounts
from tokbench.errors import UserError
from tokbench.metrics.hardware import GpuPeaks, gpu_by_key
from tokbench.model.config import ModelConfig
from tokbench.simulate.features import plan_counts
from tokbench.simulate.target import Target, dtype_bytes

# Documented defaults (docs/simulate.md: where each comes from).
EFFICIENCY_DEFAULTS = {
    "bandwidth_efficiency": 0.80,  # share of peak HBM bandwidth decode GEMV and paged attention reach
    "flops_efficiency": 0.60,  # share of dense tensor-core peak that large prefill GEMMs reach
    "link_efficiency": 0.70,  # share of one NVLink direction a ring all-reduce of activations reaches
    "step_overhead_s": 0.5e-3,  # host scheduling, input building and launches per step, not overlapped
    "allreduce_latency_s": 10e-6,  # fixed cost of one small all-reduce inside a node
}


@dataclass(frozen=True)
class RooflineModel:
    kind: ClassVar[str] = "roofline"
    target: Target
    gpu: GpuPeaks
    factors: dict = field(default_factory=lambda: dict(EFFICIENCY_DEFAULTS))

    def __post_init__(self) -> None:
        unknown = set(self.factors) - set(EFFICIENCY_DEFAULTS)
        if unknown:
            raise UserError(f"roofline: unknown parameter(s) {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(EFFICIENCY_DEFAULTS)})")
        f = {**EFFICIENCY_DEFAULTS, **self.factors}
        for name, value in f.items():
            bounded = name.endswith("efficiency")
            if not (isinstance(value, (int, float)) and math.isfinite(value)
                    and (0 < value <= 1 if bounded else value >= 0)):
                raise UserError(f"roofline: {name} = {value!r} must be " + ("in (0, 1]" if bounded else ">= 0"))
        object.__setattr__(self, "factors", f)
        t, cfg = self.target, self.target.model
        cost, tp, nbytes = t.cost(), t.tensor_parallel, dtype_bytes(t.dtype)
        bw = self.gpu.bandwidth * f["bandwidth_efficiency"]
        flops = self.gpu.flops(t.dtype) * f["flops_efficiency"]
        link = self.gpu.link / 2 * f["link_efficiency"]
        # Per-GPU constants, so a step costs a few multiplications.
        object.__setattr__(self, "_k", {
            "weights_s": cost.weight_bytes / tp / bw,
            "body_s": 2 * cost.body_params / tp / flops,
            "head_s": 2 * cost.head_params / tp / flops,
            "kv_s": cost.kv_bytes_per_token / min(tp, cfg.num_kv_heads) / bw,
            "pair_s": cost.attn_flops_per_pair / tp / flops,
            "reduce_fixed_s": 0.0 if tp == 1 else 2 * cfg.num_layers * f["allreduce_latency_s"],
            "reduce_token_s": 0.0 if tp == 1 else
            2 * cfg.num_layers * 2 * (tp - 1) / tp * cfg.hidden_size * nbytes / link,
            "overhead_s": f["step_overhead_s"],
        })

    @classmethod
    def build(cls, gpu: str, model: ModelConfig, *, dtype: str = "bf16", tensor_parallel: int = 1,
              **factors: float) -> "RooflineModel":
        peaks = gpu_by_key(gpu)
        target = Target(model, dtype, peaks.key, peaks.bandwidth, peaks.flops(dtype), tensor_parallel)
        return cls(target, peaks, {**EFFICIENCY_DEFAULTS, **factors})

    def breakdown(self, c: StepCounts) -> dict[str, float]:
        """Seconds of each term for one step (their sum is step_seconds), or for many at once where
        counts are arrays (repeated steps: the same operations element by element)."""
        k, computed = self._k, c.real_tokens + c.padded_tokens
        top = max if isinstance(c.attention_pairs, int) else np.maximum
        return {
            "linear": top(k["weights_s"], k["body_s"] * computed + k["head_s"] * c.sampled_tokens),
            "attention": top(k["kv_s"] * (c.kv_read_tokens + c.real_tokens), k["pair_s"] * c.attention_pairs),
            "all_reduce": k["reduce_fixed_s"] + k["reduce_token_s"] * computed,
            "overhead": k["overhead_s"],
        }

    def step_seconds(self, plan: StepPlan) -> float:
        return sum(self.breakdown(plan_counts(plan)).values())

    def shape_seconds(self, layout: str, padded_len: int, batch: int, counts: StepCounts):
        """step_seconds of any plan with these counts; an array of them where counts are arrays."""
        return sum(self.breakdown(counts).values())

    def parameters(self) -> dict:
        return {"gpu": self.gpu.to_dict(), "factors": dict(self.factors)}

    @classmethod
    def from_parameters(cls, target: Target, p: dict) -> "RooflineModel":
        return cls(target, GpuPeaks(**p["gpu"]), dict(p["factors"]))
