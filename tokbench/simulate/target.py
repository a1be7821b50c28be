"""What a cost model describes: a model shape at a dtype on a device.

The simulated run takes its model from here (so a cost model fitted on `tiny` cannot silently
predict `llama-70b`), and its MBU/MFU denominators from the device's peaks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tokbench.errors import UserError
from tokbench.metrics.cost_model import CostModel
from tokbench.model.config import ModelConfig

SHAPE_FIELDS = ("vocab_size", "hidden_size", "intermediate_size", "num_layers", "num_heads", "num_kv_heads",
                "head_dim", "max_model_len")
DTYPE_BYTES = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1}


def dtype_bytes(dtype: str) -> int:
    if dtype not in DTYPE_BYTES:
        raise UserError(f"dtype {dtype!r} is not known (choose from {', '.join(DTYPE_BYTES)})")
    return DTYPE_BYTES[dtype]


@dataclass(frozen=True)
class Target:
    model: ModelConfig
    dtype: str  # fp32, bf16, fp16 or fp8 (weights and KV)
    device_name: str
    peak_bandwidth: float | None  # bytes/s per device; None when unknown (MBU is then NaN)
    peak_flops: float | None  # FLOP/s per device at dtype
    tensor_parallel: int = 1  # devices one replica spans

    def __post_init__(self) -> None:
        dtype_bytes(self.dtype)
        if not (isinstance(self.tensor_parallel, int) and self.tensor_parallel >= 1):
            raise UserError(f"tensor-parallel degree {self.tensor_parallel!r}: must be an integer >= 1")
        for name in SHAPE_FIELDS:
            value = getattr(self.model, name)
            if not (isinstance(value, int) and value >= 1):
                raise UserError(f"model {self.model.name!r}: {name} = {value!r} must be an integer >= 1")
        for name in ("peak_bandwidth", "peak_flops"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and value > 0):
                raise UserError(f"{name} = {value!r} must be a positive number or null")

    def cost(self) -> CostModel:
        """Bytes and FLOPs of the whole model (all tensor-parallel shards together)."""
        return CostModel.of(self.model, dtype_bytes(self.dtype))

    def summary_peaks(self) -> tuple[float | None, float | None]:
        """Peaks of one replica (all its devices), the denominators summarize() takes."""
        tp = self.tensor_parallel
        return (None if self.peak_bandwidth is None else self.peak_bandwidth * tp,
                None if self.peak_flops is None else self.peak_flops * tp)

    def to_dict(self) -> dict:
        return {**asdict(self), "model": self.model.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "Target":
        return cls(**{**d, "model": ModelConfig(**d["model"])})
