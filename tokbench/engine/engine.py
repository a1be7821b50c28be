"""The engine: what every strategy shares (model, KV storage, attention backend, runner, clock, costs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from tokbench.engine.attention import native_decode
from tokbench.engine.attention.kernel_backend import KernelBackend
from tokbench.engine.attention.select import select_backend
from tokbench.engine.clock import Clock
from tokbench.engine.cuda_graphs import DecodeGraphs, graph_buckets
from tokbench.engine.host_memory import huge_pages_status, keep_freed_host_memory
from tokbench.engine.kv_base import KVCache
from tokbench.engine.kv_layouts import new_kv_cache
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.loop import run_loop
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.engine.runner import Runner
from tokbench.engine.sequence import Sequence
from tokbench.metrics.cost_model import CostModel
from tokbench.model import LoadedModel
from tokbench.model.onednn_cache import primitive_cache_status
from tokbench.workload.types import Request


@dataclass
class Engine:
    """Everything strategies share: model, KV storage, attention backend, runner, clock, costs."""

    loaded: LoadedModel
    kv_budget_tokens: int
    attention: str = "auto"
    paged_block_size: int | None = 16  # the run's paged block size; None when no strategy pages
    cuda_graphs: bool = True  # replay decode steps as CUDA graphs where the backend allows
    max_num_seqs: int = 128  # the largest decode batch a graph is captured for
    storage: KVStorage = field(init=False)
    runner: Runner = field(init=False)
    graphs: DecodeGraphs | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        keep_freed_host_memory()
        # Settled once torch has allocated and oneDNN built its first kernel (the model is loaded):
        # read once, not at every results write.
        self.host_huge_pages = huge_pages_status()
        self.onednn_primitive_cache = primitive_cache_status() if self.loaded.device.type == "cpu" else None
        loaded = self.loaded
        self.backend = select_backend(loaded.device, self.attention, dtype=loaded.dtype, cfg=loaded.cfg,
                                      paged_block_size=self.paged_block_size)
        self.storage = KVStorage(loaded.cfg, self.kv_budget_tokens, loaded.dtype, loaded.device,
                                 head_major=self.backend.head_major_kv,
                                 read_slack=loaded.cfg.max_model_len if self.backend.head_major_kv else 0)
        self.runner = Runner(loaded, self.storage, self.backend)
        if self.cuda_graphs and loaded.device.type == "cuda" and isinstance(self.backend, KernelBackend):
            self.graphs = DecodeGraphs(loaded.model, self.storage, self.backend, graph_buckets(self.max_num_seqs),
                                       loaded.cfg.max_model_len)
            self.runner.graphs = self.graphs
        self.cost = CostModel.of(loaded.cfg, torch.finfo(loaded.dtype).bits // 8)

    def describe_backend(self) -> dict:
        """The attention backend and CUDA-graph use, with the probe's reasons (for results)."""
        choice = getattr(self.backend, "choice", None)
        return {"attention_backend": self.backend.name, "cuda_graphs": self.graphs is not None,
                "attention_choice": choice.to_dict() if choice is not None else None,
                "cpu_decode_kernel": native_decode.status() if self.backend.head_major_kv else None,
                "linear_layers": self.loaded.model.linear_path,
                "elementwise_kernels": self.loaded.model.elementwise_path,
                "lm_head": self.loaded.model.lm_head_path,
                "host_huge_pages": self.host_huge_pages,
                "onednn_primitive_cache": self.onednn_primitive_cache}

    def check(self, strategy: type[Strategy], config: SchedulerConfig, requests: list[Request]) -> None:
        check_strategy(strategy, config, requests)

    def serve(self, strategy: type[Strategy], config: SchedulerConfig, requests: list[Request],
              on_step: Callable[[int], None] | None = None):
        policy = strategy(config, new_kv(strategy, config))
        return run_loop(policy, requests, self.runner, Clock(self.loaded.device), on_step)


def new_kv(strategy: type[Strategy], config: SchedulerConfig) -> KVCache:
    """The KV bookkeeping a strategy asks for, over the run's budget (the engine's and a simulation's)."""
    return new_kv_cache(strategy.kv_layout, config.kv_budget_tokens, config.block_size)


def check_strategy(strategy: type[Strategy], config: SchedulerConfig, requests: list[Request]) -> None:
    """Raise UserError now if the strategy rejects its knobs or could never run a request."""
    policy = strategy(config, new_kv(strategy, config))
    for r in requests:
        policy.check_fits(Sequence(r))
