"""Workloads: synthetic presets and recorded traces, turned into requests for `tokbench run`.

`load_workload` is the one entry point the engine uses; `load_table` gives the same requests as
columns (no token ids), which is what `tokbench profile` reads.
"""

from __future__ import annotations

from pathlib import Path

from tokbench.workload.build import build_workload
from tokbench.workload.options import WorkloadOptions
from tokbench.workload.presets import list_presets, looks_like_spec_file, preset_spec, read_spec_file
from tokbench.workload.shaping import shape
from tokbench.workload.synthetic import synthesize
from tokbench.workload.table import LengthTable
from tokbench.workload.types import Request, Workload

__all__ = ["LengthTable", "Request", "Workload", "WorkloadOptions", "list_presets", "load_table", "load_workload"]


def _raw_table(source: str, seed: int, options: WorkloadOptions) -> tuple[LengthTable, str]:
    path = Path(source)
    if path.is_file():
        if looks_like_spec_file(path):
            spec = read_spec_file(path)
            table = synthesize(
                spec, seed=seed, num_requests=options.num_requests, where=str(path), base_dir=path.parent
            )
            return table, spec.get("name", path.stem)
        from tokbench.workload.traces import read_trace

        return read_trace(path, options), path.name
    if path.exists():
        from tokbench.errors import UserError

        raise UserError(f"{source}: not a regular file")
    spec = preset_spec(source)
    return synthesize(spec, seed=seed, num_requests=options.num_requests, where=source), source


def load_table(
    source: str, *, seed: int = 0, max_model_len: int | None = None, options: WorkloadOptions | None = None
) -> LengthTable:
    """The requests of a preset or trace as columns, after the options are applied."""
    options = options or WorkloadOptions()
    table, name = _raw_table(source, seed, options)
    table.source.setdefault("name", name)
    return shape(table, options, seed=seed, max_model_len=max_model_len, name=source)


def load_workload(
    source: str, *, seed: int = 0, vocab_size: int, max_model_len: int, options: WorkloadOptions | None = None,
    lengths_only: bool = False,
) -> Workload:
    """A preset name or a preset/trace file -> requests sorted by arrival, first at t=0.

    Every request has prompt_len >= 1, max_tokens >= 1 and prompt_len + max_tokens <= max_model_len;
    what was clipped, dropped or skipped is counted in `workload.source`. `lengths_only` makes
    placeholder prompts (all token 0) of the same lengths, for simulations.
    """
    table = load_table(source, seed=seed, max_model_len=max_model_len, options=options)
    return build_workload(table, name=table.source["name"], seed=seed, vocab_size=vocab_size,
                          lengths_only=lengths_only)
