"""Models: random-weight presets or local Hugging Face directories, behind one loader.

The loader's names resolve on first use (PEP 562) so that importing a light submodule such as
`tokbench.model.config` does not load torch: commands that never build a model start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokbench.model.loader import DTYPES, LoadedModel, load_model, resolve_config

__all__ = ["DTYPES", "LoadedModel", "load_model", "resolve_config"]


def __getattr__(name: str):
    if name in __all__:
        from tokbench.model import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'tokbench.model' has no attribute {name!r}")
