"""`tokbench export MODEL DIR`: write a random-weight preset as a Hugging Face directory.

Every backend (tokbench, transformers, vLLM) can then load the very same weights from DIR.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tokbench.cli.app import app
from tokbench.errors import UserError
from tokbench.model.presets import PRESETS


@app.command("export")
def export(
    model: Annotated[str, typer.Argument(help=f"Preset to export: {', '.join(PRESETS)}.")],
    out_dir: Annotated[Path, typer.Argument(help="Directory to write (config.json, model.safetensors, tokenizer).")],
    seed: Annotated[int, typer.Option(help="Seed of the random weights (the same seed as `tokbench run --seed`).")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace DIR if it exists and is not empty.")] = False,
) -> None:
    """Write a seeded random-weight preset as a Hugging Face model directory."""
    if model not in PRESETS:
        raise UserError(f"MODEL {model!r}: not a preset (choose from {', '.join(PRESETS)}); "
                        "a Hugging Face directory needs no export")
    import torch  # here, so that `tokbench --help` and the other commands start without torch

    from tokbench.model import load_model
    from tokbench.model.export import export_hf

    loaded = load_model(model, dtype=torch.float32, device=torch.device("cpu"), seed=seed)
    path = export_hf(loaded.model, out_dir, replace=force)
    Console(stderr=True).print(f"exported {model} (seed {seed}, "
                               f"{loaded.cfg.num_params() / 1e6:.1f}M parameters, fp32) to {path}")
