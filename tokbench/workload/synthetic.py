"""Synthetic workloads: a JSON spec (lengths x arrivals, optionally correlated) -> LengthTable.

Spec keys (documented in docs/workloads.md): name, description, num_requests, prompt, output,
correlation, arrival, shared_prefix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tokbench.errors import UserError
from tokbench.workload.arrivals import arrival_times
from tokbench.workload.distributions import parse_length_distribution
from tokbench.workload.table import LengthTable

SPEC_KEYS = {"name", "description", "num_requests", "prompt", "output", "correlation", "arrival", "shared_prefix"}


def _check_spec(spec: dict, where: str) -> None:
    if not isinstance(spec, dict):
        raise UserError(f"{where}: a workload spec must be a JSON object")
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise UserError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(SPEC_KEYS))})"
        )
    for key in ("num_requests", "prompt", "output"):
        if key not in spec:
            raise UserError(f"{where}: missing '{key}'")
    n = spec["num_requests"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UserError(f"{where}: 'num_requests' must be a positive integer, got {n!r}")
    rho = spec.get("correlation", 0.0)
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not -1.0 <= rho <= 1.0:
        raise UserError(f"{where}: 'correlation' must be a number in [-1, 1], got {rho!r}")


def _shared_prefix_blocks(spec: dict, n: int, where: str) -> tuple[np.ndarray, np.ndarray, int]:
    # One block per request holding the group's shared prefix (a system prompt / agent context).
    tokens, groups = spec.get("tokens"), spec.get("groups", 1)
    if not isinstance(tokens, int) or tokens < 1 or not isinstance(groups, int) or groups < 1:
        raise UserError(f"{where}.shared_prefix: needs positive integers 'tokens' and 'groups'")
    return np.arange(n, dtype=np.int64) % groups, np.arange(n + 1, dtype=np.int64), tokens


def synthesize(
    spec: dict, *, seed: int, num_requests: int | None = None, where: str = "workload", base_dir: Path | None = None
) -> LengthTable:
    """Draw a seeded workload from its spec; same spec and seed give the same table."""
    _check_spec(spec, where)
    n = num_requests or spec["num_requests"]
    prompt_dist = parse_length_distribution(spec["prompt"], f"{where}.prompt", base_dir)
    output_dist = parse_length_distribution(spec["output"], f"{where}.output", base_dir)
    rng = np.random.default_rng(seed)
    rho = float(spec.get("correlation", 0.0))
    z_prompt = rng.standard_normal(n)
    z_output = rho * z_prompt + np.sqrt(1.0 - rho * rho) * rng.standard_normal(n)
    table = LengthTable(
        prompt_len=prompt_dist.sample_lengths(z_prompt, rng),
        output_len=output_dist.sample_lengths(z_output, rng),
        arrival_s=arrival_times(spec.get("arrival", {"process": "offline"}), n, rng, f"{where}.arrival"),
        source={"kind": "synthetic", "name": spec.get("name", where), "spec": spec, "seed": seed},
    )
    if "shared_prefix" in spec:
        table.block_ids, table.block_offsets, table.block_tokens = _shared_prefix_blocks(
            spec["shared_prefix"], n, where
        )
    return table
