"""Pick the attention backend by what the machine has (`--attention`); the choice and the reasons
for it are kept on the backend (`backend.choice`) so results can record them."""

from __future__ import annotations

import torch

from tokbench.engine.attention.base import AttentionBackend
from tokbench.engine.attention.capabilities import Choice, Machine, Needs, choose
from tokbench.errors import UserError
from tokbench.model.config import ModelConfig


def make_backend(name: str, machine: Machine) -> AttentionBackend:
    if name == "flash-attn":
        from tokbench.engine.attention.flash_backend import FlashAttnBackend

        return FlashAttnBackend(machine.flash_attn)
    if name == "torch-varlen":
        from tokbench.engine.attention.torch_varlen import TorchVarlenBackend

        return TorchVarlenBackend(machine.varlen_attn)
    if name == "triton":
        from tokbench.engine.attention.triton_backend import TritonBackend

        return TritonBackend()
    from tokbench.engine.attention.sdpa import SDPABackend

    return SDPABackend()


def select_backend(device: torch.device, requested: str = "auto", *, dtype: torch.dtype = torch.float32,
                   cfg: ModelConfig | None = None, paged_block_size: int | None = 16,
                   machine: Machine | None = None) -> AttentionBackend:
    """paged_block_size: the run's paged KV block size, None when no strategy in the run pages."""
    needs = Needs(device_type=device.type, dtype=dtype, head_dim=cfg.head_dim if cfg else 64,
                  gqa=bool(cfg) and cfg.num_kv_heads != cfg.num_heads, paged_block_size=paged_block_size)
    machine = machine or Machine.detect()
    try:
        choice: Choice = choose(needs, machine, requested)
    except ValueError as e:
        raise UserError(f"--attention {requested}: {e}") from None
    backend = make_backend(choice.name, machine)
    backend.choice = choice
    return backend
