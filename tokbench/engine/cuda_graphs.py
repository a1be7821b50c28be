"""CUDA graphs for decode steps, one per bucketed batch size (`--no-cuda-graphs` turns them off).

A decode step (every row computes one token: a packed plan of 1-token chunks, or a padded plan
with padded_len 1) launches hundreds of small kernels; replaying them as one graph takes the
host out of the step. A graph is captured per bucket size (1, 2, 4, 8, 16, ... up to
max_num_seqs) over static buffers; a step with n rows replays the smallest bucket >= n after
its inputs are copied in. Rows beyond n (and a padded plan's finished rows) are padding: one
dummy query over slot 0 of the cache, K/V stored nowhere (slot -1), token discarded.

Capture happens before a strategy's clock starts (`capture`), so it is excluded from timing.
Only token-major kernel backends are graphable (their metadata lives in device tensors); the
masked K/V store is tokbench's Triton kernel, which ships with every CUDA build of torch.
The host-side part (`graph_buckets`, `bucket_for`, `graphable`, and decode_staging.py) is pure.
"""

from __future__ import annotations

import time

import torch

from tokbench.engine.attention.kernel_backend import KernelBackend
from tokbench.engine.attention.kernel_meta import KernelMeta
from tokbench.engine.decode_staging import DecodeStaging
from tokbench.engine.kv_base import KVCache
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.plan import StepPlan
from tokbench.engine.step_columns import columns

BUCKET_STEP = 8


def graph_buckets(max_num_seqs: int) -> list[int]:
    """1, 2, 4, then multiples of 8, up to the first size that holds max_num_seqs rows."""
    sizes = []
    for b in [1, 2, 4, *range(BUCKET_STEP, max_num_seqs + BUCKET_STEP, BUCKET_STEP)]:
        sizes.append(b)
        if b >= max_num_seqs:
            break
    return sizes


def bucket_for(rows: int, buckets: list[int]) -> int | None:
    return next((b for b in buckets if b >= rows), None)


def graphable(plan: StepPlan) -> bool:
    """Every row computes at most one token (a decode step)."""
    if plan.layout == "padded":
        return plan.padded_len == 1
    return columns(plan).decode_only


class DecodeGraphs:
    """Static buffers and one captured decode forward per bucket, for one KV layout at a time.

    eager=True runs the same static-buffer forward without capturing (CPU tests of the plumbing).
    """

    def __init__(self, model, storage: KVStorage, backend: KernelBackend, buckets: list[int],
                 max_model_len: int, eager: bool = False):
        if storage.head_major or not isinstance(backend, KernelBackend):
            raise ValueError("CUDA graphs need a token-major kernel attention backend")
        self.model, self.storage, self.backend = model, storage, backend
        self.buckets = sorted(buckets)
        self.max_model_len = max_model_len
        self.eager = eager
        self.device = storage.k[0].device
        self.graphs: dict[int, object] = {}
        self.layout: tuple[str, int] | None = None
        self.last_prepare_s = 0.0  # host time staging the last replayed step (for scheduler overhead)

    def capture(self, kv_layout: str, block_size: int) -> None:
        """(Re)build static buffers and capture every bucket for this KV layout. Call before the clock."""
        self.graphs.clear()
        self.layout = (kv_layout, block_size)
        paged = kv_layout == "paged"
        top, dev = self.buckets[-1], self.device
        self.width = -(-self.max_model_len // block_size) if paged else 0
        w = max(self.width, 1)
        # Two device buffers, views of which the graphs read, each filled by one copy per step from
        # the staging's host mirror (pinned on CUDA, allocated once).
        self.staging = DecodeStaging(top, self.width, pin=dev.type == "cuda")
        self.dev_longs = self.staging.longs_t.to(dev, copy=True)
        self.dev_ints = self.staging.ints_t.to(dev, copy=True)
        self.ids, self.pos, self.slots = self.dev_longs
        self.ctx, self.bases = self.dev_ints[:top], self.dev_ints[top : 2 * top]
        self.table = self.dev_ints[2 * top :].view(top, w)
        self.cu = torch.arange(top + 1, dtype=torch.int32, device=dev)
        self.ones = torch.ones(top, dtype=torch.int32, device=dev)
        self.tokens = torch.zeros(top, dtype=torch.long, device=dev)
        self.block_size = block_size if paged else 1
        # Per bucket: (device, host) pairs of the two copies, and the bucket's token view.
        self.loads = {b: ((self.dev_longs, self.staging.longs_t),
                          (self.dev_ints[: self.staging.ints_prefix(b)], self.staging.ints_t[: self.staging.ints_prefix(b)]))
                      for b in self.buckets}
        self.bucket_tokens = {b: self.tokens[:b] for b in self.buckets}
        self.pool = None if self.eager else torch.cuda.graph_pool_handle()
        for b in reversed(self.buckets):  # largest first: smaller ones reuse its pool memory
            self.graphs[b] = self._capture(b)

    def _meta(self, b: int) -> KernelMeta:
        paged = self.width > 0
        return KernelMeta(
            q_lens=[1] * b, ctx_lens=[self.max_model_len] * b, cu_q=self.cu[: b + 1], q_lens_t=self.ones[:b],
            ctx_lens_t=self.ctx[:b], max_q=1, max_k=self.width * self.block_size if paged else self.max_model_len,
            block_size=self.block_size, block_table=self.table[:b] if paged else None,
            bases=None if paged else self.bases[:b], real_index=None)

    def _forward(self, b: int):
        from tokbench.engine.attention.triton_kernels import store_kv_masked

        meta, storage, slots = self._meta(b), self.storage, self.slots[:b]

        def forward() -> None:
            attend = self.backend.dense_ribbon_attention(meta, storage)  # inside the capture: derived metadata too

            def attention(layer, q, k, v, keep=None):
                store_kv_masked(storage.k[layer], storage.v[layer], slots, k, v)
                return attend(layer, q, k, v)

            hidden = self.model(self.ids[:b], self.pos[:b], attention)
            self.tokens[:b].copy_(self.model.greedy(hidden))

        return forward

    def _capture(self, b: int):
        forward = self._forward(b)
        if self.eager:
            return forward
        with torch.inference_mode():
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # compiles the Triton kernels and warms the allocator
                forward()
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=self.pool):
                forward()
        return graph

    def execute(self, plan: StepPlan, kv: KVCache) -> list[int | None] | None:
        """The step's tokens (one per chunk, None where a chunk does not sample), or None when the
        step is not a graphable decode of this layout (the runner then runs it eagerly)."""
        if self.layout is None or kv.layout != self.layout[0] or (
                kv.layout == "paged" and kv.block_size != self.layout[1]):
            return None
        b = bucket_for(len(plan.chunks), self.buckets)
        if b is None or not graphable(plan):
            return None
        start = time.perf_counter()
        samples = self.staging.stage(plan, kv, b)
        for device_buffer, host_buffer in self.loads[b]:
            # Safe to overwrite the mirror: every step ends in a sync (its tokens) before the next.
            device_buffer.copy_(host_buffer, non_blocking=True)
        self.last_prepare_s = time.perf_counter() - start
        with torch.inference_mode():
            if self.eager:
                self.graphs[b]()
            else:
                self.graphs[b].replay()
        tokens = self.bucket_tokens[b].tolist()  # the step's one host sync, as in the eager runner
        n = len(plan.chunks)
        if all(samples[:n]):
            return tokens[:n]
        return [t if f else None for t, f in zip(tokens, samples[:n])]
