"""Read a local Hugging Face model directory (config.json + *.safetensors): Llama, Qwen2, Mistral."""

from __future__ import annotations

from pathlib import Path

import torch

from tokbench.errors import UserError
from tokbench.model.llama import LlamaModel


def _read_tensors(model_dir: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise UserError(f"{model_dir}: no *.safetensors weight files")
    tensors: dict[str, torch.Tensor] = {}
    for f in files:
        try:
            tensors.update(load_file(str(f)))
        except Exception as exc:  # safetensors raises its own error types for damaged files
            raise UserError(f"{f}: cannot read safetensors file ({exc})") from None
    return {k.removeprefix("model."): v for k, v in tensors.items()}


@torch.no_grad()
def load_weights(model: LlamaModel, model_dir: Path) -> None:
    t = _read_tensors(model_dir)

    def take(name: str) -> torch.Tensor:
        if name not in t:
            raise UserError(f"{model_dir}: weight {name!r} missing from the safetensors files")
        return t[name]

    def put(dst: torch.Tensor, *names: str) -> None:
        """Copy the named weights (stacked along dim 0) into dst; a shape config.json does not imply is one line."""
        parts = [take(n) for n in names]
        stacked = [sum(x.shape[0] for x in parts), *parts[0].shape[1:]] if parts[0].dim() else []
        if any(x.shape[1:] != parts[0].shape[1:] for x in parts) or stacked != list(dst.shape):
            shapes = ", ".join(f"{n} {list(x.shape)}" for n, x in zip(names, parts))
            raise UserError(f"{model_dir}: weight shapes ({shapes}) do not match config.json, whose sizes make "
                            f"{list(dst.shape)} (hidden_size, intermediate_size, heads, head_dim, vocab_size)")
        dst.copy_(parts[0] if len(parts) == 1 else torch.cat(parts))

    put(model.embed_tokens.weight, "embed_tokens.weight")
    put(model.norm.weight, "norm.weight")
    if not model.cfg.tie_word_embeddings:
        put(model.lm_head.weight, "lm_head.weight")
    for i, layer in enumerate(model.layers):
        p = f"layers.{i}."
        put(layer.qkv_proj.weight, *(f"{p}self_attn.{x}_proj.weight" for x in "qkv"))
        if model.cfg.attention_bias:
            put(layer.qkv_proj.bias, *(f"{p}self_attn.{x}_proj.bias" for x in "qkv"))
        put(layer.o_proj.weight, f"{p}self_attn.o_proj.weight")
        put(layer.gate_up_proj.weight, f"{p}mlp.gate_proj.weight", f"{p}mlp.up_proj.weight")
        put(layer.down_proj.weight, f"{p}mlp.down_proj.weight")
        put(layer.input_layernorm.weight, f"{p}input_layernorm.weight")
        put(layer.post_attention_layernorm.weight, f"{p}post_attention_layernorm.weight")
