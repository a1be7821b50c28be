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
import numpy as np
import torch

from tokbench.engine.step_inputs import StepInputs, to_device


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


def build_kernel_meta(inputs: StepInputs) -> KernelMeta:
    device = inputs.input_ids.device
    q_lens, ctx_lens = inputs.q_lens, inputs.ctx_lens
    rows = None  # every row has queries (packed plans always; padded ones unless a row is finished)
    if 0 in q_lens:
        rows = [i for i, n in enumerate(q_lens) if n > 0]
        if not rows:
            raise ValueError("a step needs at least one row with queries")
        q_lens, ctx_lens = [q_lens[i] for i in rows], [ctx_lens[i] for i in rows]
    q = np.array(q_lens, dtype=np.int32)
    cu = np.zeros(len(q) + 1, dtype=np.int32)
    np.cumsum(q, out=cu[1:])
    ints = [cu, q, np.array(ctx_lens, dtype=np.int32)]
    block_size = 1
    if inputs.block_table is not None:
        block_size = inputs.kv.block_size
        width = max(1, -(-max(ctx_lens) // block_size))
        table = inputs.block_table if rows is None else inputs.block_table[rows]
        ints.append(table[:, :width].numpy().ravel())
    else:
        ints.append(inputs.bases if rows is None else [inputs.bases[i] for i in rows])
    cu_q, q_lens_t, ctx_lens_t, addresses = to_device(ints, device, np.int32)
    return KernelMeta(
        q_lens=q_lens, ctx_lens=ctx_lens, cu_q=cu_q, q_lens_t=q_lens_t, ctx_lens_t=ctx_lens_t, max_q=max(q_lens),
        max_k=max(ctx_lens), block_size=block_size,
        block_table=addresses.view(len(q_lens), -1) if inputs.block_table is not None else None,
        bases=addresses if inputs.block_table is None else None, real_index=inputs.real_index,
    )
