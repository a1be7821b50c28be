"""Pick the attention backend by what the machine has; the choice is recorded in results."""

from __future__ import annotations

import torch

from tokbench.engine.attention.base import AttentionBackend
from tokbench.engine.attention.sdpa import SDPABackend


def select_backend(device: torch.device, requested: str = "auto") -> AttentionBackend:
    backends = {"torch-sdpa": SDPABackend}
    if requested == "auto":
        return SDPABackend()
    if requested not in backends:
        from tokbench.errors import UserError

        raise UserError(f"--attention {requested!r}: unknown (choose from auto, {', '.join(backends)})")
    return backends[requested]()
