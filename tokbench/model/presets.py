"""Random-weight presets: `tiny` for CPU, and the shapes of real models for GPU boxes.

The real-model shapes copy the fields of each model's published config.json (Llama-3.2-1B,
Llama-3.1-8B, Qwen2.5-7B, Llama-3.1-70B); max_model_len is capped at 8192 (the configs allow
131072) so a KV pool for a useful batch fits next to the weights. Parameter counts equal the
published totals (1,235,814,400 / 8,030,261,248 / 7,615,616,512 / 70,553,706,496), which
tests/cuda_path/test_presets.py checks. llama-70b does not fit one GPU at bf16: it is a shape for
`tokbench simulate` (tensor-parallel cost models), or for a machine with the memory.
"""

from __future__ import annotations

from tokbench.model.config import ModelConfig

_LLAMA3_SCALING = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}

PRESETS: dict[str, ModelConfig] = {
    # ~21M parameters: small enough for 2 CPU cores, big enough that batching matters.
    "tiny": ModelConfig(
        name="tiny", architecture="llama", vocab_size=32000, hidden_size=256,
        intermediate_size=704, num_layers=6, num_heads=8, num_kv_heads=4, head_dim=32,
        max_model_len=2048,
    ),
    "llama-1b": ModelConfig(
        name="llama-1b", architecture="llama", vocab_size=128256, hidden_size=2048,
        intermediate_size=8192, num_layers=16, num_heads=32, num_kv_heads=8, head_dim=64,
        max_model_len=8192, rope_theta=500000.0, rope_scaling=_LLAMA3_SCALING,
        tie_word_embeddings=True,
    ),
    "llama-8b": ModelConfig(
        name="llama-8b", architecture="llama", vocab_size=128256, hidden_size=4096,
        intermediate_size=14336, num_layers=32, num_heads=32, num_kv_heads=8, head_dim=128,
        max_model_len=8192, rope_theta=500000.0, rope_scaling={**_LLAMA3_SCALING, "factor": 8.0},
    ),
    "qwen2.5-7b": ModelConfig(
        name="qwen2.5-7b", architecture="qwen2", vocab_size=152064, hidden_size=3584,
        intermediate_size=18944, num_layers=28, num_heads=28, num_kv_heads=4, head_dim=128,
        max_model_len=8192, rms_norm_eps=1e-6, rope_theta=1000000.0, attention_bias=True,
    ),
    "llama-70b": ModelConfig(
        name="llama-70b", architecture="llama", vocab_size=128256, hidden_size=8192,
        intermediate_size=28672, num_layers=80, num_heads=64, num_kv_heads=8, head_dim=128,
        max_model_len=8192, rope_theta=500000.0, rope_scaling={**_LLAMA3_SCALING, "factor": 8.0},
    ),
}
