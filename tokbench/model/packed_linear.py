"""fp32 linear layers on the CPU through oneDNN with weights reordered once ("prepacked").

torch's plain `F.linear` re-lays the weight out on every call; oneDNN's linear with a weight
reordered once into its blocked format skips that. Measured on the 2-core development machine
(fp32): the tiny model's LM head (32000 x 256) for 36 rows takes 9.3 ms instead of 18.7 ms, and
its layer projections 5-20% less. The same parameters stay in place (export, checksums and
`weight_bytes` see them); the packed copy is private to the forward pass.

Used on CPU fp32 when torch's oneDNN ops are present; TOKBENCH_CPU_PACKED_LINEAR=0 turns it off.
`status()` says which path ran, for the results.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

ENV = "TOKBENCH_CPU_PACKED_LINEAR"


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux); None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def unavailable_reason(device: torch.device, dtype: torch.dtype, weight_bytes: int = 0) -> str | None:
    """None when packed linears can run here, else why not.

    The packed copies double the weights' memory, so they are skipped when the weights are over a
    quarter of the memory still available (an 8B model in fp32 on an ordinary machine)."""
    if os.environ.get(ENV, "").strip() == "0":
        return f"off ({ENV}=0)"
    if device.type != "cpu" or dtype != torch.float32:
        return "only for fp32 on the CPU"
    ops = torch.ops.mkldnn
    if not (torch.backends.mkldnn.is_available() and hasattr(ops, "_reorder_linear_weight")
            and hasattr(ops, "_linear_pointwise")):
        return "this torch build has no oneDNN linear ops"
    free = available_memory_bytes()
    if free is not None and weight_bytes > free / 4:
        return f"a packed copy of {weight_bytes / 2**30:.1f} GiB of weights would not leave room ({free / 2**30:.1f} GiB available)"
    return None


def weight_key(w: torch.Tensor) -> tuple:
    """What changes when a weight is edited in place (its version counter) or replaced (its storage):
    a copy made from it is stale when this differs."""
    version = None if w.is_inference() else w._version  # inference tensors have no version counter
    return w.data_ptr(), version, w.dtype, tuple(w.shape)


class PackedLinear(nn.Module):
    """An nn.Linear's forward on a oneDNN-reordered copy of its weight; parameters are shared, not copied.

    The copy is remade when the weight changes after packing: edited in place (its version
    counter moves) or replaced (its storage moves), so later weight loads never run a stale copy.
    """

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.weight = linear.weight
        self.bias = linear.bias
        self._packed: torch.Tensor | None = None
        self._packed_key: tuple | None = None

    def _pack(self) -> torch.Tensor:
        key = weight_key(self.weight)
        if self._packed is None or self._packed_key != key:
            self._packed = torch.ops.mkldnn._reorder_linear_weight(self.weight.detach())
            self._packed_key = key
        return self._packed

    def __getstate__(self):
        # The packed copy is an opaque oneDNN tensor that cannot be copied or pickled: drop it and repack.
        state = self.__dict__.copy()
        state["_packed"], state["_packed_key"] = None, None
        return state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.dtype != torch.float32 or x.device.type != "cpu":
            return F.linear(x, self.weight, self.bias)
        return torch.ops.mkldnn._linear_pointwise(x.contiguous(), self._pack(), self.bias, "none", [], "")


def pack_linears(module: nn.Module) -> int:
    """Replace every nn.Linear inside `module` by a PackedLinear sharing its parameters; returns how many."""
    count = 0
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Linear):
            setattr(module, name, PackedLinear(child))
            count += 1
        else:
            count += pack_linears(child)
    return count
