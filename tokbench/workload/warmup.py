"""The warmup every run (and every peer) serves first and throws away: a few short offline requests."""

from __future__ import annotations

from dataclasses import replace

from tokbench.workload.types import Request


def warmup_requests(requests: list[Request]) -> list[Request]:
    """A few short offline requests from the workload's own: warm kernels and allocators."""
    return [replace(r, request_id=i, arrival_s=0.0, prompt_token_ids=r.prompt_token_ids[:64],
                    max_tokens=min(r.max_tokens, 4)) for i, r in enumerate(requests[:8])]
