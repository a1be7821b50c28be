"""Rotary position embeddings, including the Llama-3 and linear frequency scalings."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from tokbench.errors import UserError
from tokbench.model.config import ModelConfig


def inverse_frequencies(cfg: ModelConfig) -> torch.Tensor:
    d = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    scaling = cfg.rope_scaling or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return inv_freq
    if kind == "linear":
        return inv_freq / scaling["factor"]
    if kind == "llama3":
        return _llama3(inv_freq, scaling)
    raise UserError(f"{cfg.name}: rope scaling type {kind!r} is not supported (default, linear, llama3)")


def _llama3(inv_freq: torch.Tensor, s: dict) -> torch.Tensor:
    factor, low, high = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
    old_len = s["original_max_position_embeddings"]
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > old_len / low, inv_freq / factor, inv_freq)
    smooth = (old_len / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= old_len / high) & (wavelen <= old_len / low)
    return torch.where(medium, smoothed, scaled)


class RotaryTable:
    """cos/sin for every position up to max_model_len, looked up by position ids."""

    def __init__(self, cfg: ModelConfig, device: torch.device, dtype: torch.dtype):
        inv_freq = inverse_frequencies(cfg).float()
        t = torch.arange(cfg.max_model_len, dtype=torch.float32)
        freqs = torch.outer(t, inv_freq)
        emb = torch.cat([freqs, freqs], dim=-1)
        self.cos = emb.cos().to(device=device, dtype=dtype)
        self.sin = emb.sin().to(device=device, dtype=dtype)

    def at(self, positions: torch.Tensor) -> "Rotation":
        """The rotation for a step's tokens: looked up once, then applied in every layer."""
        return Rotation(self.cos[positions].unsqueeze(1), self.sin[positions].unsqueeze(1))


@dataclass(frozen=True)
class Rotation:
    cos: torch.Tensor  # [T, 1, head_dim]
    sin: torch.Tensor

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """x: [T, heads, head_dim]; rotate-half convention, as in Hugging Face Llama."""
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * self.cos + rotated * self.sin
