"""One loader for both model sources: a random-weight preset or a local Hugging Face directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from tokbench.engine.host_memory import ask_for_huge_pages
from tokbench.errors import UserError
from tokbench.model.config import ModelConfig
from tokbench.model.hf_checkpoint import load_weights
from tokbench.model.llama import LlamaModel
from tokbench.model.model_spec import resolve_config
from tokbench.model.onednn_cache import ask_for_primitive_cache
from tokbench.model.presets import PRESETS
from tokbench.model.random_init import init_random_weights

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class LoadedModel:
    model: LlamaModel
    cfg: ModelConfig
    source: str  # "preset:tiny" or the directory
    dtype: torch.dtype
    device: torch.device


def load_model(spec: str, *, dtype: torch.dtype, device: torch.device, seed: int = 0,
               max_model_len: int | None = None) -> LoadedModel:
    ask_for_huge_pages()  # before the weights are allocated (engine/host_memory.py)
    ask_for_primitive_cache()  # before the linears are packed, oneDNN's first primitive (model/onednn_cache.py)
    cfg = resolve_config(spec)
    if max_model_len is not None:
        if max_model_len < 1:
            raise UserError(f"--max-model-len {max_model_len}: must be positive")
        cfg = ModelConfig(**{**cfg.to_dict(), "max_model_len": max_model_len})
    with torch.device(device):
        model = LlamaModel(cfg).to(dtype)
    if spec in PRESETS:
        init_random_weights(model, seed)
        source = f"preset:{spec}"
    else:
        load_weights(model, Path(spec))
        source = str(Path(spec).resolve())
    model.prepare(device, dtype)
    return LoadedModel(model=model, cfg=cfg, source=source, dtype=dtype, device=device)
