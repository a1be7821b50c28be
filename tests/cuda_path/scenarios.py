"""Small attention steps in every layout, to run any backend on and compare with the SDPA reference.

A scenario is a list of rows (cached tokens, queries this step) in a padded or packed plan over
paged or contiguous KV. Its earlier context is written with the same random K/V into a
head-major storage (what SDPA reads) and a token-major one (what the kernel backends read);
block tables are scrambled and contiguous reservations leave gaps, so an addressing bug shows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from tokbench.engine.attention.base import AttentionBackend
from tokbench.engine.attention.sdpa import SDPABackend
from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.sequence import Sequence
from tokbench.engine.step_inputs import StepInputs, build_step_inputs
from tokbench.model.config import ModelConfig
from tokbench.workload.types import Request

CAPACITY = 1024


def small_config(num_heads: int = 4, num_kv_heads: int = 2, head_dim: int = 16) -> ModelConfig:
    return ModelConfig(name="t", architecture="llama", vocab_size=64, hidden_size=num_heads * head_dim,
                       intermediate_size=32, num_layers=1, num_heads=num_heads, num_kv_heads=num_kv_heads,
                       head_dim=head_dim, max_model_len=512)


@dataclass
class Scenario:
    cfg: ModelConfig
    inputs: StepInputs
    q: torch.Tensor
    k: torch.Tensor
    v: torch.Tensor
    prior: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]  # (slots, k, v) written before the step
    capacity: int = CAPACITY
    plan: StepPlan | None = None

    @property
    def real_rows(self) -> torch.Tensor:
        if self.inputs.real_index is not None:
            return self.inputs.real_index
        return torch.arange(self.q.shape[0])

    def storage(self, head_major: bool, dtype: torch.dtype = torch.float32, device: str = "cpu") -> KVStorage:
        storage = KVStorage(self.cfg, self.capacity, dtype, torch.device(device), head_major=head_major,
                            read_slack=self.cfg.max_model_len if head_major else 0)
        for slots, k, v in self.prior:
            storage.store(0, slots.to(device), k.to(device, dtype), v.to(device, dtype))
        return storage

    def run(self, backend: AttentionBackend, dtype: torch.dtype = torch.float32, device: str = "cpu") -> torch.Tensor:
        """The backend's attention output at the real query rows (float32, on CPU)."""
        storage = self.storage(backend.head_major_kv, dtype, device)
        inputs = self.inputs
        if device != "cpu":
            inputs = StepInputs(**{**vars(inputs), **{
                name: getattr(inputs, name).to(device) for name in
                ("input_ids", "positions", "slot_mapping", "sample_index")}})
            if inputs.real_index is not None:
                inputs.real_index = inputs.real_index.to(device)
        attention = backend.bind(inputs, storage)
        out = attention(0, *(x.to(device, dtype) for x in (self.q, self.k, self.v)))
        return out.float().cpu().index_select(0, self.real_rows)

    def reference(self) -> torch.Tensor:
        return self.run(SDPABackend())


def make_scenario(rows: list[tuple[int, int]], *, layout: str, kv: str, cfg: ModelConfig | None = None,
                  block_size: int = 4, capacity: int = CAPACITY, seed: int = 0) -> Scenario:
    """rows: (cached tokens, queries this step); a padded plan's row may have 0 queries (finished)."""
    cfg = cfg or small_config()
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    seqs = [Sequence(Request(i, 0.0, tuple(rng.randrange(64) for _ in range(c + max(n, 1))), 4))
            for i, (c, n) in enumerate(rows)]
    if kv == "paged":
        cache = PagedKV(capacity, block_size)
        blocks = list(cache._free_blocks)
        rng.shuffle(blocks)  # block tables out of order and interleaved
        cache._free_blocks.clear()
        cache._free_blocks.extend(blocks)
        for seq, (c, n) in zip(seqs, rows):
            assert cache.allocate(seq, c + n)
    else:
        cache = ContiguousKV(capacity)
        length = max(c + n for c, n in rows) + 3
        if layout == "padded":
            cache.reserve(Sequence(Request(-1, 0.0, (1,), 1)), 5)  # the group does not start at slot 0
            assert cache.reserve_group(seqs, length)
        else:
            for i, seq in enumerate(seqs):
                cache.reserve(Sequence(Request(-1 - i, 0.0, (1,), 1)), 3 + i)  # gaps between rows
                assert cache.reserve(seq, length + i)
    prior = []
    for seq, (c, _) in zip(seqs, rows):
        seq.num_computed = c
        if c:
            slots = torch.tensor(cache.slots(seq, 0, c))
            prior.append((slots, torch.randn(c, cfg.num_kv_heads, cfg.head_dim, generator=gen),
                          torch.randn(c, cfg.num_kv_heads, cfg.head_dim, generator=gen)))
    chunks = tuple(SeqChunk(seq, c, n) for seq, (c, n) in zip(seqs, rows))
    padded_len = max(n for _, n in rows) if layout == "padded" else 0
    plan = StepPlan(chunks, layout, padded_len=padded_len)
    inputs = build_step_inputs(plan, cache, torch.device("cpu"), cfg.max_model_len)
    t = inputs.input_ids.shape[0]
    return Scenario(cfg, inputs,
                    q=torch.randn(t, cfg.num_heads, cfg.head_dim, generator=gen),
                    k=torch.randn(t, cfg.num_kv_heads, cfg.head_dim, generator=gen),
                    v=torch.randn(t, cfg.num_kv_heads, cfg.head_dim, generator=gen), prior=prior,
                    capacity=capacity, plan=plan)


# Every layout the engine produces, small enough for the Triton interpreter.
LAYOUTS = {
    "padded-prefill-contiguous": dict(rows=[(0, 5), (0, 3), (0, 7)], layout="padded", kv="contiguous"),
    "padded-decode-contiguous": dict(rows=[(6, 1), (9, 1), (4, 0)], layout="padded", kv="contiguous"),
    "packed-prefill-contiguous": dict(rows=[(0, 6), (0, 2), (0, 9)], layout="packed", kv="contiguous"),
    "packed-decode-contiguous": dict(rows=[(5, 1), (12, 1), (1, 1)], layout="packed", kv="contiguous"),
    "packed-mixed-contiguous": dict(rows=[(7, 1), (6, 5), (0, 4), (3, 1)], layout="packed", kv="contiguous"),
    "packed-prefill-paged": dict(rows=[(0, 6), (0, 9)], layout="packed", kv="paged"),
    "packed-decode-paged": dict(rows=[(5, 1), (13, 1), (2, 1)], layout="packed", kv="paged"),
    "packed-mixed-paged": dict(rows=[(9, 1), (6, 5), (0, 4), (8, 3), (3, 1)], layout="packed", kv="paged"),
}
