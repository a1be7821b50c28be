"""The runner: one plan in, one forward pass, the next token per sampling sequence out (greedy)."""

from __future__ import annotations

import time

import torch

from tokbench.engine.attention.base import AttentionBackend
from tokbench.engine.kv_base import KVCache
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.plan import StepPlan
from tokbench.engine.runner_types import StepOutput
from tokbench.engine.step_inputs import build_step_inputs
from tokbench.model import LoadedModel


class Runner:
    def __init__(self, loaded: LoadedModel, storage: KVStorage, backend: AttentionBackend):
        self.model = loaded.model
        self.cfg = loaded.cfg
        self.device = loaded.device
        self.storage = storage
        self.backend = backend
        self.graphs = None  # DecodeGraphs, set by the engine on CUDA: decode steps replay a captured graph

    @torch.inference_mode()
    def execute(self, plan: StepPlan, kv: KVCache) -> StepOutput:
        if self.graphs is not None:
            tokens = self.graphs.execute(plan, kv)
            if tokens is not None:
                return StepOutput(tokens=tokens, prepare_s=self.graphs.last_prepare_s)
        start = time.perf_counter()
        inputs = build_step_inputs(plan, kv, self.device, self.cfg.max_model_len)
        attention = self.backend.bind(inputs, self.storage)
        prepare_s = time.perf_counter() - start
        # Only the sampling rows' final hidden states are computed (all of them on a decode step).
        every_row = inputs.sample_index.numel() == inputs.input_ids.numel()
        hidden = self.model(inputs.input_ids, inputs.positions, attention, None if every_row else inputs.sample_index)
        sampled = self.model.greedy(hidden).tolist()
        if len(sampled) == len(inputs.samples):  # every chunk samples (a decode step)
            return StepOutput(tokens=sampled, prepare_s=prepare_s)
        it = iter(sampled)
        return StepOutput(tokens=[next(it) if f else None for f in inputs.samples], prepare_s=prepare_s)
