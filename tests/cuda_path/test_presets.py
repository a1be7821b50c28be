"""The real-model presets have the published shapes: their parameter counts are the models' own."""

import pytest
import torch

from tokbench.model.presets import PRESETS

PUBLISHED = {  # parameters of the released checkpoints (safetensors totals)
    "llama-1b": 1_235_814_400,  # Llama-3.2-1B, tied embeddings
    "llama-8b": 8_030_261_248,  # Llama-3.1-8B
    "qwen2.5-7b": 7_615_616_512,  # Qwen2.5-7B, q/k/v biases
    "llama-70b": 70_553_706_496,  # Llama-3.1-70B
}


@pytest.mark.parametrize("name", PUBLISHED)
def test_parameter_count_matches_the_release(name):
    assert PRESETS[name].num_params() == PUBLISHED[name]


def test_shapes_serve_the_gpu_kernels():
    # every GPU backend needs head_dim a power of two <= 256, and query heads in whole KV groups
    for name in PUBLISHED:
        cfg = PRESETS[name]
        assert cfg.head_dim in (64, 128) and cfg.num_heads % cfg.num_kv_heads == 0
        assert cfg.hidden_size == cfg.num_heads * cfg.head_dim


def test_8b_bf16_weights_fill_the_roofline_example():
    # docs/gpu.md: 16.06 GB of bf16 weights read per decode step -> 4.8 ms at 3.35 TB/s (H100 SXM)
    cfg = PRESETS["llama-8b"]
    weight_bytes = cfg.num_params() * torch.finfo(torch.bfloat16).bits // 8
    assert weight_bytes == pytest.approx(16.06e9, rel=1e-3)
