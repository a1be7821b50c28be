"""Turn a StepPlan into the flat tensors one forward pass needs (ids, positions, KV addresses)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tokbench.engine.kv_base import KVCache
from tokbench.engine.plan import StepPlan


@dataclass
class StepInputs:
    layout: str
    input_ids: torch.Tensor  # [T] (padded plans: the whole rectangle, row-major)
    positions: torch.Tensor  # [T]
    slot_mapping: torch.Tensor  # [real tokens]: where each real token's K/V is written
    real_index: torch.Tensor | None  # padded plans: rows of [T] that are real tokens
    sample_index: torch.Tensor  # rows of [T] whose hidden state yields a new token
    q_lens: list[int]
    ctx_lens: list[int]  # context each chunk attends to (its KV after this step's write)
    kv: KVCache
    padded_len: int = 0
    max_model_len: int = 0
    # contiguous KV: base slot of each row; paged KV: block table of each row
    bases: list[int] | None = None
    block_tables: list[list[int]] | None = None


def build_step_inputs(plan: StepPlan, kv: KVCache, device: torch.device, max_model_len: int) -> StepInputs:
    ids: list[int] = []
    pos: list[int] = []
    slots: list[int] = []
    real: list[int] = []
    sample: list[int] = []
    row_len = plan.padded_len if plan.layout == "padded" else 0
    for chunk in plan.chunks:
        seq, start, n = chunk.seq, chunk.start, chunk.length
        offset = len(ids)
        ids.extend(seq.token_ids[start : start + n])
        pos.extend(range(start, start + n))
        if n:
            slots.extend(kv.slots(seq, start, start + n))
        if row_len:
            real.extend(range(offset, offset + n))
            pad = row_len - n
            ids.extend([0] * pad)
            # Padding rows run at harmless positions; their K/V are never stored or attended to.
            last = min(start + n, max_model_len - 1)
            pos.extend(min(last + j, max_model_len - 1) for j in range(pad))
        if chunk.samples:
            sample.append(offset + n - 1)
    as_long = lambda xs: torch.tensor(xs, dtype=torch.long).to(device, non_blocking=True)  # noqa: E731
    inputs = StepInputs(
        layout=plan.layout, input_ids=as_long(ids), positions=as_long(pos), slot_mapping=as_long(slots),
        real_index=as_long(real) if row_len else None, sample_index=as_long(sample),
        q_lens=[c.length for c in plan.chunks], ctx_lens=[c.start + c.length for c in plan.chunks],
        kv=kv, padded_len=row_len, max_model_len=max_model_len,
    )
    if kv.layout == "paged":
        inputs.block_tables = [kv.block_tables[c.seq.seq_id] for c in plan.chunks]
    else:
        inputs.bases = [kv.base(c.seq) for c in plan.chunks]
    return inputs
