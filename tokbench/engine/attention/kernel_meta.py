"""One step's attention rows as device tensors, in the form the token-major GPU kernels read.

Every kernel backend (Triton, flash-attn, torch varlen) attends over a ribbon of REAL query
tokens: a packed plan's q as it is, a padded plan's q with its padding rows dropped (they get a
zero attention output; their cost stays visible in the linear layers and in padded_tokens).
Rows that compute nothing this step (a finished row of a padded decode) are left out too, so
every kernel row has at least one query: FlashAttention's single-query fast path assumes it.

Row i has queries ribbon[cu_q[i] : cu_q[i+1]] at the last q_lens[i] of its ctx_lens[i] positions
(bottom-right causal alignment), and its keys at
- paged KV: slot block_table[i, p // block_size] * block_size + p % block_size, or
- contiguous KV: slot bases[i] + p.
Built once per step on the host, reused by every layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tokbench.engine.step_inputs import StepInputs


@dataclass
class KernelMeta:
    q_lens: list[int]
    ctx_lens: list[int]
    cu_q: torch.Tensor  # int32 [rows + 1]
    q_lens_t: torch.Tensor  # int32 [rows]
    ctx_lens_t: torch.Tensor  # int32 [rows]
    max_q: int
    max_k: int
    block_size: int  # paged KV: tokens per block; contiguous: 1
    block_table: torch.Tensor | None  # int32 [rows, width] (paged), unused entries 0
    bases: torch.Tensor | None  # int32 [rows] (contiguous)
    real_index: torch.Tensor | None  # rows of the step's q that are real queries (None: all of them)

    @property
    def num_rows(self) -> int:
        return len(self.q_lens)

    @property
    def paged(self) -> bool:
        return self.block_table is not None

    @property
    def decode_only(self) -> bool:
        return self.max_q == 1

    @property
    def fresh_prefill(self) -> bool:
        """Every row's context is exactly its own queries: keys can come from this step's k/v."""
        return all(q == c for q, c in zip(self.q_lens, self.ctx_lens))


def _int32(values: list[int], device: torch.device) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.int32).to(device, non_blocking=True)


def block_table_tensor(tables: list[list[int]], ctx_lens: list[int], block_size: int,
                       device: torch.device, width: int | None = None) -> torch.Tensor:
    """[rows, width] int32: each row's blocks that hold its context, zero-padded."""
    used = [t[: -(-c // block_size)] for t, c in zip(tables, ctx_lens)]
    width = width or max(1, max(len(t) for t in used))
    table = torch.zeros(len(used), width, dtype=torch.int32)
    for r, t in enumerate(used):
        if len(t) > width:
            raise ValueError(f"row {r} needs {len(t)} blocks, the table holds {width}")
        table[r, : len(t)] = torch.tensor(t, dtype=torch.int32)
    return table.to(device, non_blocking=True)


def build_kernel_meta(inputs: StepInputs) -> KernelMeta:
    device = inputs.input_ids.device
    rows = [i for i, n in enumerate(inputs.q_lens) if n > 0]
    if not rows:
        raise ValueError("a step needs at least one row with queries")
    q_lens = [inputs.q_lens[i] for i in rows]
    ctx_lens = [inputs.ctx_lens[i] for i in rows]
    cu = [0]
    for n in q_lens:
        cu.append(cu[-1] + n)
    block_table = bases = None
    block_size = 1
    if inputs.block_tables is not None:
        block_size = inputs.kv.block_size
        block_table = block_table_tensor([inputs.block_tables[i] for i in rows], ctx_lens, block_size, device)
    else:
        bases = _int32([inputs.bases[i] for i in rows], device)
    return KernelMeta(
        q_lens=q_lens, ctx_lens=ctx_lens, cu_q=_int32(cu, device), q_lens_t=_int32(q_lens, device),
        ctx_lens_t=_int32(ctx_lens, device), max_q=max(q_lens), max_k=max(ctx_lens), block_size=block_size,
        block_table=block_table, bases=bases, real_index=inputs.real_index,
    )
