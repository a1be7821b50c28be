"""Bytes and FLOPs a step needs, from the model's shape: the numerators of MBU and MFU."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tokbench.model.config import ModelConfig


@dataclass(frozen=True)
class CostModel:
    body_params: int  # parameters every token passes through (layers), excluding embedding/lm_head
    head_params: int  # lm_head, applied only to tokens that are sampled
    weight_bytes: int  # bytes of weights read by one forward pass
    kv_bytes_per_token: int  # K and V, all layers
    attn_flops_per_pair: int  # FLOPs per (query, key) pair over all layers: QK^T and PV

    @classmethod
    def of(cls, cfg: ModelConfig, dtype_bytes: int) -> "CostModel":
        head = cfg.vocab_size * cfg.hidden_size
        body = cfg.num_params() - head * (1 if cfg.tie_word_embeddings else 2)
        return cls(
            body_params=body,
            head_params=head,
            weight_bytes=(body + head) * dtype_bytes,
            kv_bytes_per_token=cfg.kv_bytes_per_token(dtype_bytes),
            attn_flops_per_pair=4 * cfg.num_layers * cfg.num_heads * cfg.head_dim,
        )

    def to_dict(self) -> dict:
        return asdict(self)
