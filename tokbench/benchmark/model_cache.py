"""Loaded models kept for the next run that asks for the same one (sweeps run many points per model)."""

from __future__ import annotations

import torch

from tokbench.model import LoadedModel, load_model


class ModelCache:
    """Holds the most recently loaded model: a sweep's points usually share one, and two would not fit."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._model: LoadedModel | None = None

    def get(self, spec: str, *, dtype: torch.dtype, device: torch.device, seed: int,
            max_model_len: int) -> LoadedModel:
        # Random-weight presets depend on the seed; a directory's weights do not.
        key = (spec, dtype, str(device), seed if not _is_dir(spec) else None, max_model_len)
        if key != self._key:
            self._model = None  # release the old weights before loading new ones
            self._model = load_model(spec, dtype=dtype, device=device, seed=seed, max_model_len=max_model_len)
            self._key = key
        return self._model


def _is_dir(spec: str) -> bool:
    from pathlib import Path

    return Path(spec).is_dir()
