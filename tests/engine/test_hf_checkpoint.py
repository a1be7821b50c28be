"""A local Hugging Face directory saved by transformers loads into tokbench's model and gives the
same greedy tokens as transformers' own `generate` on the same weights (Llama, Qwen2, Mistral)."""

import json

import pytest
import torch

from tokbench.benchmark.strategy_registry import resolve
from tokbench.engine.engine import Engine
from tokbench.engine.policy import SchedulerConfig
from tokbench.errors import UserError
from tokbench.model import load_model
from tokbench.workload.types import Request

transformers = pytest.importorskip("transformers")

SHAPE = dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=256)
ARCHS = {
    "llama": lambda: transformers.LlamaForCausalLM(transformers.LlamaConfig(
        **SHAPE, rope_theta=50000.0, tie_word_embeddings=False,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 64})),
    "qwen2": lambda: transformers.Qwen2ForCausalLM(transformers.Qwen2Config(**SHAPE, tie_word_embeddings=True)),
    "mistral": lambda: transformers.MistralForCausalLM(transformers.MistralConfig(**SHAPE, sliding_window=None)),
}
PROMPTS = [[5, 17, 300, 42, 9, 77, 128], [1, 2, 3], list(range(100, 160))]
NEW_TOKENS = 12


def _save(arch: str, path) -> torch.nn.Module:
    torch.manual_seed(1)
    model = ARCHS[arch]().eval()
    with torch.no_grad():  # sharper logits than the default init, so argmax is not decided by float noise
        for p in model.parameters():
            if p.dim() == 2:
                p.mul_(8.0)
    model.save_pretrained(path)
    return model


def _hf_greedy(model, prompt: list[int]) -> list[int]:
    ids = torch.tensor([prompt])
    out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS, do_sample=False,
                         min_new_tokens=NEW_TOKENS, pad_token_id=0)
    return out[0, len(prompt):].tolist()


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_greedy_tokens_match_transformers(tmp_path, arch):
    hf_model = _save(arch, tmp_path)
    expected = {i: _hf_greedy(hf_model, p) for i, p in enumerate(PROMPTS)}

    loaded = load_model(str(tmp_path), dtype=torch.float32, device=torch.device("cpu"))
    assert loaded.cfg.architecture == arch
    cfg = SchedulerConfig(kv_budget_tokens=1024, max_model_len=loaded.cfg.max_model_len, max_batch_tokens=32,
                          knobs={"chunk_size": 16})
    requests = [Request(i, 0.0, tuple(p), NEW_TOKENS) for i, p in enumerate(PROMPTS)]
    rec = Engine(loaded, cfg.kv_budget_tokens).serve(resolve("tokenmaxxing"), cfg, requests)
    assert rec.outputs == expected


def test_unsupported_architecture_and_missing_files_are_clear_errors(tmp_path):
    _save("llama", tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "model_type": "gpt2"}))
    with pytest.raises(UserError, match="model_type 'gpt2' is not supported"):
        load_model(str(tmp_path), dtype=torch.float32, device=torch.device("cpu"))

    (tmp_path / "config.json").write_text(json.dumps(config))
    for f in tmp_path.glob("*.safetensors"):
        f.unlink()
    with pytest.raises(UserError, match="no \\*.safetensors"):
        load_model(str(tmp_path), dtype=torch.float32, device=torch.device("cpu"))

    (tmp_path / "config.json").unlink()
    with pytest.raises(UserError, match="no config.json"):
        load_model(str(tmp_path), dtype=torch.float32, device=torch.device("cpu"))
