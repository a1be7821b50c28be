"""What this torch's `torch.nn.attention.varlen.varlen_attn` accepts, read from its signature.

The function changed across releases (positional arguments fixed throughout:
query, key, value, cu_seq_q, cu_seq_k, max_q, max_k):
- torch 2.9:  is_causal=False, return_aux=None
- 2.10/2.11: *, return_aux, scale, window_size=(-1, -1)  (causal is window_size=(-1, 0))
- 2.12/2.13: also enable_gqa, seqused_k, block_table, num_splits
Keys of cached KV can only be read in place with seqused_k (contiguous reservations: rows start
at cu_seq_k[i], use seqused_k[i] keys) or block_table + seqused_k (paged); GQA needs enable_gqa,
else K/V would be copied per layer. So only the 2.12+ form serves a decode step here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class VarlenSignature:
    causal_param: str  # "is_causal" (bool) or "window_size" ((-1, 0) is causal)
    scale: bool
    enable_gqa: bool
    seqused_k: bool
    block_table: bool

    @classmethod
    def of(cls, fn: Callable) -> "VarlenSignature | None":
        """None when the function has neither causal form (an API this code does not know)."""
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            return None
        if "is_causal" in params:
            causal = "is_causal"
        elif "window_size" in params:
            causal = "window_size"
        else:
            return None
        return cls(causal_param=causal, scale="scale" in params, enable_gqa="enable_gqa" in params,
                   seqused_k="seqused_k" in params, block_table="block_table" in params)

    def causal_kwargs(self) -> dict:
        return {"is_causal": True} if self.causal_param == "is_causal" else {"window_size": (-1, 0)}

    def why_not(self, *, gqa: bool, paged: bool) -> str | None:
        """Why this varlen_attn cannot serve the engine's steps, or None if it can."""
        if not self.seqused_k:
            return "varlen_attn has no seqused_k (torch < 2.12): cached KV cannot be read in place"
        if gqa and not self.enable_gqa:
            return "varlen_attn has no enable_gqa: a GQA model would copy K/V every layer"
        if paged and not self.block_table:
            return "varlen_attn has no block_table: paged KV cannot be read in place"
        return None
