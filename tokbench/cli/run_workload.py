"""The workload of `tokbench run`: loaded for the model's length limit, with nothing changed silently.

A request that does not fit max_model_len is an error unless the user chose `--over-length clip`
or `drop`; what was clipped, dropped or skipped is then said on the terminal (and kept in results).
"""

from __future__ import annotations

from rich.console import Console

from tokbench.errors import UserError
from tokbench.model.config import ModelConfig
from tokbench.workload import Workload, WorkloadOptions, load_workload
from tokbench.workload.notes import source_notes


def load_run_workload(spec: str, *, seed: int, model_cfg: ModelConfig, max_model_len: int | None,
                      options: WorkloadOptions, over_length_given: bool, console: Console) -> Workload:
    limit = max_model_len or model_cfg.max_model_len
    wl = load_workload(spec, seed=seed, vocab_size=model_cfg.vocab_size, max_model_len=limit, options=options)
    if not wl.requests:
        raise UserError(f"--workload {spec}: no requests left after the workload options")
    clipped = wl.source.get("clipped_over_length", 0)
    if clipped and not over_length_given:
        raise UserError(f"--workload {spec}: {clipped} request(s) need more than max_model_len {limit} tokens "
                        "(prompt + output); choose --over-length clip or drop, or --length-scale")
    for note in source_notes(wl.source):
        console.print(f"[yellow]workload:[/] {note}")
    return wl
