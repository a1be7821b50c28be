"""LengthTable -> Workload: the only place token ids are made."""

from __future__ import annotations

from tokbench.errors import UserError
from tokbench.workload.prompts import prompt_token_ids
from tokbench.workload.table import LengthTable
from tokbench.workload.types import Request, Workload


def build_workload(table: LengthTable, *, name: str, seed: int, vocab_size: int) -> Workload:
    if vocab_size < 2:
        raise UserError(f"vocab_size must be at least 2, got {vocab_size}")
    prompts = prompt_token_ids(table, seed=seed, vocab_size=vocab_size)
    requests = [
        Request(request_id=i, arrival_s=arrival, prompt_token_ids=prompt, max_tokens=max_tokens)
        for i, (arrival, prompt, max_tokens) in enumerate(
            zip(table.arrival_s.tolist(), prompts, table.output_len.tolist())
        )
    ]
    source = dict(table.source, seed=seed, vocab_size=vocab_size)
    return Workload(name=name, requests=requests, source=source)
