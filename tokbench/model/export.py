"""Write a model as a Hugging Face directory, so every backend (tokbench, transformers, vLLM) loads
the very same weights: config.json, model.safetensors, generation_config.json and a tokenizer.

Tensors are written unfused under Hugging Face names (q/k/v_proj, gate/up_proj): tokbench fuses
them on load, the peers load them as they are. The tokenizer is a WordLevel vocabulary of exactly
`vocab_size` entries built offline; tokbench never tokenizes text, it is there because vLLM and
transformers want one next to the weights (token ids go in, token ids come out).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from tokbench.atomic import atomic_write_text
from tokbench.errors import UserError
from tokbench.model.config import ModelConfig
from tokbench.model.llama import LlamaModel

SPECIAL_TOKENS = {"unk": "<unk>", "bos": "<s>", "eos": "</s>"}  # ids 0, 1, 2
ARCHITECTURES = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "mistral": "MistralForCausalLM"}


def hf_config(cfg: ModelConfig) -> dict:
    """config.json in the layout transformers 4.x/5.x and vLLM both read."""
    rope = {"rope_type": "default", **(cfg.rope_scaling or {}), "rope_theta": cfg.rope_theta}
    return {
        "architectures": [ARCHITECTURES[cfg.architecture]],
        "model_type": cfg.architecture,
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_layers,
        "num_attention_heads": cfg.num_heads,
        "num_key_value_heads": cfg.num_kv_heads,
        "head_dim": cfg.head_dim,
        "max_position_embeddings": cfg.max_model_len,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,  # transformers 4 / vLLM read these two ...
        "rope_scaling": cfg.rope_scaling,
        "rope_parameters": rope,  # ... transformers 5 reads this one
        "tie_word_embeddings": cfg.tie_word_embeddings,
        "attention_bias": cfg.attention_bias,
        "mlp_bias": False,
        "hidden_act": "silu",
        "initializer_range": 0.02,
        "use_cache": True,
        "torch_dtype": "float32",  # transformers 4 name ...
        "dtype": "float32",  # ... transformers 5 name
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": 0,
    }


def hf_state_dict(model: LlamaModel) -> dict[str, torch.Tensor]:
    """tokbench's fused tensors split back into Hugging Face names (fp32, contiguous, CPU)."""
    cfg = model.cfg
    out = {"model.embed_tokens.weight": model.embed_tokens.weight, "model.norm.weight": model.norm.weight}
    if not cfg.tie_word_embeddings:
        out["lm_head.weight"] = model.lm_head.weight
    for i, layer in enumerate(model.layers):
        p = f"model.layers.{i}."
        q, k, v = layer.qkv_proj.weight.split([cfg.q_size, cfg.kv_size, cfg.kv_size])
        out.update({f"{p}self_attn.q_proj.weight": q, f"{p}self_attn.k_proj.weight": k,
                    f"{p}self_attn.v_proj.weight": v})
        if cfg.attention_bias:
            qb, kb, vb = layer.qkv_proj.bias.split([cfg.q_size, cfg.kv_size, cfg.kv_size])
            out.update({f"{p}self_attn.q_proj.bias": qb, f"{p}self_attn.k_proj.bias": kb,
                        f"{p}self_attn.v_proj.bias": vb})
        gate, up = layer.gate_up_proj.weight.chunk(2)
        out.update({
            f"{p}self_attn.o_proj.weight": layer.o_proj.weight,
            f"{p}mlp.gate_proj.weight": gate, f"{p}mlp.up_proj.weight": up,
            f"{p}mlp.down_proj.weight": layer.down_proj.weight,
            f"{p}input_layernorm.weight": layer.input_layernorm.weight,
            f"{p}post_attention_layernorm.weight": layer.post_attention_layernorm.weight,
        })
    return {k: v.detach().float().cpu().contiguous().clone() for k, v in out.items()}


def write_tokenizer(out: Path, vocab_size: int) -> None:
    """A WordLevel tokenizer whose vocabulary is exactly the model's ids: `<unk> <s> </s> t3 … tN-1`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    specials = list(SPECIAL_TOKENS.values())
    vocab = {tok: i for i, tok in enumerate(specials)}
    vocab.update({f"t{i}": i for i in range(len(specials), vocab_size)})
    tok = Tokenizer(models.WordLevel(vocab, unk_token=SPECIAL_TOKENS["unk"]))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins tokens with spaces when decoding
    tok.add_special_tokens(specials)
    tok.save(str(out / "tokenizer.json"))
    atomic_write_text(out / "tokenizer_config.json", json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 1 << 30,
        "unk_token": SPECIAL_TOKENS["unk"], "bos_token": SPECIAL_TOKENS["bos"], "eos_token": SPECIAL_TOKENS["eos"],
        "pad_token": SPECIAL_TOKENS["unk"], "add_bos_token": False, "add_eos_token": False,
    }, indent=2) + "\n")


def _write_files(model: LlamaModel, out: Path) -> None:
    from safetensors.torch import save_file

    save_file(hf_state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})
    write_tokenizer(out, model.cfg.vocab_size)
    atomic_write_text(out / "generation_config.json",
                      json.dumps({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "do_sample": False},
                                 indent=2) + "\n")
    atomic_write_text(out / "config.json", json.dumps(hf_config(model.cfg), indent=2) + "\n")


def export_hf(model: LlamaModel, out_dir: str | Path, *, replace: bool = False) -> Path:
    """Write `model` as a Hugging Face directory, all or nothing: it is built in a temporary sibling
    and renamed into place, so a reader never finds half an export. An existing non-empty directory
    is an error unless `replace`."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not replace:
        raise UserError(f"{out}: directory exists and is not empty (use --force to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the model from other users
        _write_files(model, tmp)
        if out.exists():
            old = tmp.with_suffix(".old")
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old)
        else:
            os.rename(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out
