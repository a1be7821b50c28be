"""A model spec (a preset name or a local Hugging Face directory) to its ModelConfig, without torch.

Reading the shape alone lets a run check everything that depends on it (lengths, KV sizing, host
memory) before torch loads and weights are allocated. A config.json that cannot describe a
model (not an object, a missing field, a size that is not a positive whole number, heads that do
not divide) is one line naming the file and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokbench.errors import UserError
from tokbench.model.config import ModelConfig
from tokbench.model.presets import PRESETS

SUPPORTED = ("llama", "qwen2", "mistral")
_SIZES = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
          "num_key_value_heads", "head_dim", "max_position_embeddings", "sliding_window")


def _check_sizes(path: Path, raw: dict) -> None:
    for key in _SIZES:
        value = raw.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UserError(f"{path}: {key} is {json.dumps(value)}; it must be a positive whole number")


def read_config(model_dir: Path) -> ModelConfig:
    path = model_dir / "config.json"
    if not path.is_file():
        raise UserError(f"{model_dir}: no config.json (expected a Hugging Face model directory)")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path}: holds a JSON {type(raw).__name__}, not the object of a model's configuration")
    arch = raw.get("model_type")
    if arch not in SUPPORTED:
        raise UserError(f"{path}: model_type {arch!r} is not supported (supported: {', '.join(SUPPORTED)})")
    _check_sizes(path, raw)
    try:
        heads = raw["num_attention_heads"]
        kv_heads = raw.get("num_key_value_heads") or heads
        if heads % kv_heads:
            raise UserError(f"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv_heads}")
        if not raw.get("head_dim") and raw["hidden_size"] % heads:
            raise UserError(f"{path}: hidden_size {raw['hidden_size']} is not a multiple of num_attention_heads "
                            f"{heads} (and no head_dim is given)")
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
            num_kv_heads=kv_heads,
            head_dim=raw.get("head_dim") or raw["hidden_size"] // heads,
            max_model_len=max_len, rms_norm_eps=raw.get("rms_norm_eps", 1e-6),
            rope_theta=rope.get("rope_theta", raw.get("rope_theta", 10000.0)), rope_scaling=scaling,
            tie_word_embeddings=raw.get("tie_word_embeddings", False),
            attention_bias=arch == "qwen2" or bool(raw.get("attention_bias", False)),
            extra={"source": str(model_dir), "torch_dtype": raw.get("torch_dtype") or raw.get("dtype")},
        )
    except KeyError as exc:
        raise UserError(f"{path}: missing field {exc.args[0]!r}") from None


def resolve_config(spec: str) -> ModelConfig:
    if spec in PRESETS:
        return PRESETS[spec]
    path = Path(spec)
    if path.is_dir():
        return read_config(path)
    raise UserError(f"--model {spec!r}: neither a preset ({', '.join(PRESETS)}) nor a model directory")
