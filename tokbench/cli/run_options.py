"""Turn `tokbench run` flags into typed settings, rejecting bad values before any work starts."""

from __future__ import annotations

import torch

from tokbench.errors import UserError
from tokbench.metrics.summary import SLO
from tokbench.model import DTYPES


def resolve_device(text: str) -> torch.device:
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text not in ("cpu", "cuda") and not text.startswith("cuda:"):
        raise UserError(f"--device {text!r}: choose auto, cpu or cuda")
    if text.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {text}: no CUDA device is available")
    return torch.device(text)


def resolve_dtype(text: str, device: torch.device) -> torch.dtype:
    if text == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if text not in DTYPES:
        raise UserError(f"--dtype {text!r}: choose auto, {', '.join(DTYPES)}")
    return DTYPES[text]


def parse_slo(text: str | None) -> SLO:
    """'ttft_ms=500,tpot_ms=50' -> SLO(ttft_ms=500, tpot_ms=50)."""
    if not text:
        return SLO()
    values = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in ("ttft_ms", "tpot_ms", "e2el_ms"):
            raise UserError(f"--slo {text!r}: expected ttft_ms=…,tpot_ms=…,e2el_ms=… (got {part!r})")
        try:
            values[key] = float(value)
        except ValueError:
            raise UserError(f"--slo {text!r}: {key} value {value!r} is not a number") from None
        if values[key] <= 0:
            raise UserError(f"--slo {text!r}: {key} must be positive")
    return SLO(**values)
