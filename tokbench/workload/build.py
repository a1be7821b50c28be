"""LengthTable -> Workload: the only place token ids are made."""

from __future__ import annotations

from tokbench.errors import UserError
from tokbench.workload.prompts import prompt_token_ids
from tokbench.workload.table import LengthTable
from tokbench.workload.types import Request, Workload


def placeholder_prompts(table: LengthTable) -> list[tuple[int, ...]]:
    """Prompts of the right lengths, all token 0, one shared tuple per length: for a simulation,
    which reads lengths only (100k requests cost a few thousand tuples, not 40M token ids)."""
    shared: dict[int, tuple[int, ...]] = {}
    return [shared.setdefault(n, (0,) * n) for n in table.prompt_len.tolist()]


def build_workload(table: LengthTable, *, name: str, seed: int, vocab_size: int,
                   lengths_only: bool = False) -> Workload:
    if vocab_size < 2:
        raise UserError(f"vocab_size must be at least 2, got {vocab_size}")
    prompts = placeholder_prompts(table) if lengths_only else prompt_token_ids(table, seed=seed, vocab_size=vocab_size)
    requests = [
        Request(request_id=i, arrival_s=arrival, prompt_token_ids=prompt, max_tokens=max_tokens)
        for i, (arrival, prompt, max_tokens) in enumerate(
            zip(table.arrival_s.tolist(), prompts, table.output_len.tolist())
        )
    ]
    source = dict(table.source, seed=seed, vocab_size=vocab_size, **({"lengths_only": True} if lengths_only else {}))
    return Workload(name=name, requests=requests, source=source)
