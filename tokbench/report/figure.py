"""Matplotlib plumbing for report charts: a headless backend, one color per run, PNG bytes out."""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # reports are rendered on machines without a display
import matplotlib.pyplot as plt  # noqa: E402

_PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C",
            "#CCB974", "#64B5CD")


@dataclass(frozen=True)
class Chart:
    key: str  # file-name-safe id, e.g. "throughput"
    title: str
    caption: str  # one sentence: how to read it
    png: bytes


def colors(labels: list[str]) -> dict[str, str]:
    return {label: _PALETTE[i % len(_PALETTE)] for i, label in enumerate(labels)}


def new_figure(ncols: int, nrows: int = 1, width: float = 4.2, height: float = 3.2):
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    for ax in axes.flat:
        ax.grid(True, alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def to_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()
