"""What every peer run gets: the model directory, the workload, the knobs, and where to report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from tokbench.engine.policy import SchedulerConfig
from tokbench.metrics.cost_model import CostModel
from tokbench.metrics.summary import SLO
from tokbench.workload.types import Request


@dataclass
class PeerSettings:
    model_dir: Path  # a Hugging Face directory every backend loads (an exported preset, or the user's)
    dtype: torch.dtype
    device: torch.device
    sched: SchedulerConfig  # tokbench's knobs, mapped onto each peer's own where it has them
    requests: list[Request]
    cost: CostModel
    slo: SLO = field(default_factory=SLO)
    warmup: bool = True
    threads: int = 1  # CPU threads, the same number tokbench's engine uses
    on_progress: Callable[[int], None] = lambda done: None  # requests finished so far
