"""One strategy's run on the engine: warm up, serve the workload, summarize what was recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from tokbench.engine.engine import Engine
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.metrics.hardware import DevicePeaks
from tokbench.metrics.summary import SLO, summarize
from tokbench.workload.types import Workload
from tokbench.workload.warmup import warmup_requests


@dataclass
class StrategyRun:
    name: str
    strategy: type[Strategy]
    config: SchedulerConfig
    tables: dict[str, pd.DataFrame]
    outputs: dict[int, list[int]]
    summary: dict[str, float]
    verification: dict | None = None

    def describe(self) -> dict:
        return {
            "name": self.name,
            "backend": "tokbench",
            "strategy": self.strategy.name,
            "kv_layout": self.strategy.kv_layout,
            "knobs": self.strategy.recorded_knobs(self.config),
            "summary": self.summary,
            "verification": self.verification,
        }


def run_strategy(engine: Engine, strategy: type[Strategy], config: SchedulerConfig, workload: Workload, *,
                 peaks: DevicePeaks, slo: SLO, warmup: bool = True,
                 on_step: Callable[[int], None] | None = None) -> StrategyRun:
    if engine.graphs is not None:  # captured before the clock starts: capture is never timed
        engine.graphs.capture(strategy.kv_layout, config.block_size)
    if warmup:
        engine.serve(strategy, config, warmup_requests(workload.requests))
    rec = engine.serve(strategy, config, workload.requests, on_step)
    tables = rec.tables()
    summary = summarize(tables["requests"], tables["steps"], tables["tokens"], cost=engine.cost,
                        peak_bandwidth=peaks.peak_bandwidth, peak_flops=peaks.peak_flops, slo=slo)
    return StrategyRun(strategy.name, strategy, config, tables, rec.outputs, summary)
