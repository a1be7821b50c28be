"""Where a run computes: the torch device, dtype and thread count a RunConfig's model settings name."""

from __future__ import annotations

import os

import torch

from tokbench.errors import UserError
from tokbench.model import DTYPES


def resolve_device(text: str) -> torch.device:
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text not in ("cpu", "cuda") and not text.startswith("cuda:"):
        raise UserError(f"--device {text!r} (model.device): choose auto, cpu or cuda")
    if text.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {text} (model.device): no CUDA device is available")
    return torch.device(text)


def resolve_dtype(text: str, device: torch.device) -> torch.dtype:
    if text == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if text not in DTYPES:
        raise UserError(f"--dtype {text!r} (model.dtype): choose auto, {', '.join(DTYPES)}")
    return DTYPES[text]


def set_threads(threads: int | None) -> int:
    """Give torch `threads` CPU threads (default: every core this process may use); returns the count."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(threads or usable)
    return torch.get_num_threads()
