"""Token identity against the plain reference: per strategy, how many requests match, where not."""

from __future__ import annotations

import copy

import torch

from tokbench.engine.reference import reference_tokens
from tokbench.model import LoadedModel
from tokbench.workload.types import Request


def reference_model(loaded: LoadedModel) -> LoadedModel:
    """The same weights in fp32 on the CPU: the reference runs there whatever the benchmark used."""
    if loaded.device.type == "cpu" and loaded.dtype == torch.float32:
        return loaded
    model = copy.deepcopy(loaded.model).float().cpu()
    model.prepare(torch.device("cpu"), torch.float32)
    return LoadedModel(model=model, cfg=loaded.cfg, source=loaded.source, dtype=torch.float32,
                       device=torch.device("cpu"))


def reference_outputs(loaded: LoadedModel, requests: list[Request]) -> dict[int, list[int]]:
    ref = reference_model(loaded)
    return {r.request_id: reference_tokens(ref, r) for r in requests}


def compare_outputs(reference: dict[int, list[int]], outputs: dict[int, list[int]]) -> dict:
    """{'requests', 'matching', 'mismatches': [{'request_id', 'first_divergence', 'expected', 'got'}]}"""
    mismatches = []
    for rid, expected in reference.items():
        got = outputs.get(rid, [])
        if got == expected:
            continue
        first = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
        mismatches.append({"request_id": rid, "first_divergence": first,
                           "expected": expected[first] if first < len(expected) else None,
                           "got": got[first] if first < len(got) else None})
    return {"requests": len(reference), "matching": len(reference) - len(mismatches),
            "mismatches": mismatches}
