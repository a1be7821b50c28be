"""One point, run where an executor placed it: a RunConfig in, the in-memory Results out.

It writes nothing: the driver alone writes results, so a worker killed mid-point leaves no half
directory behind. The same function runs in the driver's process (local executor) and in a Ray
worker process, where a module-level ModelCache keeps the model for the worker's next point.
"""

from __future__ import annotations

import gc
import os
import socket
import time
from dataclasses import dataclass

from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.model_cache import ModelCache
from tokbench.benchmark.progress import OnProgress
from tokbench.results import Results

_WORKER_MODELS = ModelCache()  # lives as long as the worker process: one load per model, not per point


@dataclass
class PointRun:
    results: Results
    host: str
    pid: int
    started: float  # epoch seconds, on the worker's clock
    finished: float


def execute_point(config_data: dict, *, models: ModelCache | None = None, on_progress: OnProgress | None = None,
                  wrap_runner=None) -> PointRun:
    from tokbench.benchmark.run import run_benchmark  # torch is imported where the point runs

    config = RunConfig.from_dict(config_data)
    started = time.time()
    try:
        results = run_benchmark(config, on_progress=on_progress, models=models or _WORKER_MODELS,
                                wrap_runner=wrap_runner)
    finally:
        _release_memory()
    return PointRun(results, socket.gethostname(), os.getpid(), started, time.time())


def _release_memory() -> None:
    """The engine and its KV cache are garbage now; the next point sizes its KV budget from free memory."""
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
