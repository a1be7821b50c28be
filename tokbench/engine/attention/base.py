"""What every attention backend provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

import torch

from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.step_inputs import StepInputs

# attention(layer, q, k, v, keep=None): see tokbench.model.llama.Attention.
LayerAttention = Callable[..., torch.Tensor]


class AttentionBackend(ABC):
    name: str
    head_major_kv: bool = False  # the KVStorage axis order this backend reads (see KVStorage)

    @abstractmethod
    def bind(self, inputs: StepInputs, storage: KVStorage) -> LayerAttention:
        """Return attention(layer, q, k, v, keep=None) for this step: it stores k/v, then attends."""


def store_kv(inputs: StepInputs, storage: KVStorage, layer: int, k: torch.Tensor, v: torch.Tensor) -> None:
    """Write the real tokens' K/V into their slots (padding rows are computed but never stored)."""
    if inputs.real_index is not None:
        k, v = k.index_select(0, inputs.real_index), v.index_select(0, inputs.real_index)
    storage.store(layer, inputs.slot_mapping, k, v)
