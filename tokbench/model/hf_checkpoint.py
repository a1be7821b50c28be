"""Read a local Hugging Face model directory (config.json + *.safetensors): Llama, Qwen2, Mistral."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from tokbench.errors import UserError
from tokbench.model.config import ModelConfig
from tokbench.model.llama import LlamaModel

SUPPORTED = ("llama", "qwen2", "mistral")


def read_config(model_dir: Path) -> ModelConfig:
    """The shape of a Hugging Face model directory, or of a config.json file alone (no weights needed)."""
    path = model_dir if model_dir.is_file() else model_dir / "config.json"
    model_dir = path.parent if model_dir.is_file() else model_dir
    if not path.is_file():
        raise UserError(f"{model_dir}: no config.json (expected a Hugging Face model directory)")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
    arch = raw.get("model_type")
    if arch not in SUPPORTED:
        raise UserError(f"{path}: model_type {arch!r} is not supported (supported: {', '.join(SUPPORTED)})")
    try:
        heads = raw["num_attention_heads"]
        rope = raw.get("rope_parameters") or {}  # transformers 5 keeps theta and scaling here
        scaling = raw.get("rope_scaling") or (rope if rope.get("rope_type", "default") != "default" else None)
        max_len = raw.get("max_position_embeddings", 2048)
        window = raw.get("sliding_window") if raw.get("use_sliding_window", arch == "mistral") else None
        if window:  # positions beyond the window would need sliding attention, which we do not run
            max_len = min(max_len, window)
        return ModelConfig(
            name=model_dir.name, architecture=arch, vocab_size=raw["vocab_size"],
            hidden_size=raw["hidden_size"], intermediate_size=raw["intermediate_size"],
            num_layers=raw["num_hidden_layers"], num_heads=heads,
            num_kv_heads=raw.get("num_key_value_heads") or heads,
            head_dim=raw.get("head_dim") or raw["hidden_size"] // heads,
            max_model_len=max_len, rms_norm_eps=raw.get("rms_norm_eps", 1e-6),
            rope_theta=rope.get("rope_theta", raw.get("rope_theta", 10000.0)), rope_scaling=scaling,
            tie_word_embeddings=raw.get("tie_word_embeddings", False),
            attention_bias=arch == "qwen2" or bool(raw.get("attention_bias", False)),
            extra={"source": str(model_dir), "torch_dtype": raw.get("torch_dtype") or raw.get("dtype")},
        )
    except KeyError as exc:
        raise UserError(f"{path}: missing field {exc.args[0]!r}") from None


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

    model.embed_tokens.weight.copy_(take("embed_tokens.weight"))
    model.norm.weight.copy_(take("norm.weight"))
    if not model.cfg.tie_word_embeddings:
        model.lm_head.weight.copy_(take("lm_head.weight"))
    for i, layer in enumerate(model.layers):
        p = f"layers.{i}."
        attn = [take(f"{p}self_attn.{x}_proj.weight") for x in "qkv"]
        layer.qkv_proj.weight.copy_(torch.cat(attn))
        if model.cfg.attention_bias:
            layer.qkv_proj.bias.copy_(torch.cat([take(f"{p}self_attn.{x}_proj.bias") for x in "qkv"]))
        layer.o_proj.weight.copy_(take(f"{p}self_attn.o_proj.weight"))
        layer.gate_up_proj.weight.copy_(torch.cat([take(f"{p}mlp.gate_proj.weight"), take(f"{p}mlp.up_proj.weight")]))
        layer.down_proj.weight.copy_(take(f"{p}mlp.down_proj.weight"))
        layer.input_layernorm.weight.copy_(take(f"{p}input_layernorm.weight"))
        layer.post_attention_layernorm.weight.copy_(take(f"{p}post_attention_layernorm.weight"))
