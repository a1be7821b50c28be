"""A finished benchmark as a Results value: the document results.json will hold, and the tables.

Every round's records are kept: the tables carry a `round` column beside `run`. A run's entry holds
`summary` (with repeats, the per-metric median over its rounds), `rounds` (each round's summary),
`intervals` (per metric: median and 95% interval), `ratios` (this run ÷ each other run, round by
round, for the figures strategies are compared on) and `noise` (per round: the machine's load and
whether the run was disturbed). docs/results-format.md describes the layout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tokbench.benchmark.prepare import Prepared
from tokbench.benchmark.strategy_run import RoundRun
from tokbench.environment import describe_environment
from tokbench.metrics.rounds import aggregate, paired_ratios
from tokbench.results import Results
from tokbench.results.fingerprint import benchmark_fingerprint
from tokbench.results.format import TABLES
from tokbench.results.table_columns import REQUIRED_COLUMNS


def consecutive_view(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The arrays as one, when they are consecutive pieces of one 1-D array (a simulation's runs in one
    file, simulate/spill.py): a view of that array, not a copy; else None."""
    root = arrays[0]
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root.ndim != 1 or not root.flags.c_contiguous:
        return None
    address = root.__array_interface__["data"][0]
    start = (arrays[0].__array_interface__["data"][0] - address) // root.itemsize
    at = start
    for a in arrays:
        if (a.ndim != 1 or a.dtype != root.dtype or not a.flags.c_contiguous
                or a.__array_interface__["data"][0] != address + at * root.itemsize):
            return None
        at += len(a)
    return root[start:at].view(np.ndarray) if at <= len(root) else None


def labelled_concat(parts: list[tuple[str, pd.DataFrame]], columns: list[str]) -> pd.DataFrame:
    """The frames stacked, each row marked with its part's label in a `run` column; no rows: `columns`.

    Built column by column, each copied once (pd.concat copied twice), and the label is categorical
    (a byte a row, categories sorted as strings sort): a simulation's tokens table has a hundred
    million rows, and a string a row took longer than simulating them."""
    parts = [(label, frame) for label, frame in parts if len(frame)]
    if not parts:
        return pd.DataFrame(columns=columns)
    labels = sorted({label for label, _ in parts})
    frames = [frame for _, frame in parts]
    if any(list(frame.columns) != list(frames[0].columns) for frame in frames):  # e.g. a peer's fewer columns
        return pd.concat([frame.assign(run=pd.Categorical([label] * len(frame), labels)) for label, frame in parts],
                         ignore_index=True)
    out = {}
    for column in frames[0].columns:
        pieces = [frame[column] for frame in frames]
        dtypes = {piece.dtype for piece in pieces}
        same_array = len(dtypes) == 1 and isinstance(pieces[0].dtype, np.dtype) and pieces[0].dtype != object
        if same_array:
            arrays = [piece.to_numpy() for piece in pieces]
            joined = consecutive_view(arrays)
            out[column] = joined if joined is not None else np.concatenate(arrays)
        else:
            out[column] = pd.concat(pieces, ignore_index=True)
    codes = np.repeat(np.asarray([labels.index(label) for label, _ in parts], dtype=np.int8),
                      [len(frame) for frame in frames])
    out["run"] = pd.Categorical.from_codes(codes, labels)
    return pd.DataFrame(out, copy=False)


def combined_table(runs, name: str) -> pd.DataFrame:
    """One results table of every run (each with `name` and `tables`), told apart by a `run` column.
    An empty table keeps its columns (a peer backend has no steps)."""
    return labelled_concat([(r.name, r.tables[name]) for r in runs], [*REQUIRED_COLUMNS[name], "run"])


def round_tables(rounds: list[RoundRun], name: str) -> pd.DataFrame:
    """One table of every round of one run, each row marked with its round (an empty table keeps its columns)."""
    frames = [r.run.tables[name].assign(round=r.round) for r in rounds if len(r.run.tables[name])]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*REQUIRED_COLUMNS[name], "round"])


def _table(runs: dict[str, list[RoundRun]], name: str) -> pd.DataFrame:
    return labelled_concat([(run, round_tables(rounds, name)) for run, rounds in runs.items()],
                           [*REQUIRED_COLUMNS[name], "round", "run"])


def _verification(rounds: list[RoundRun]) -> dict | None:
    """Token identity of every round: the fewest matching requests of any round, every mismatch (with its round)."""
    checks = [r.run.verification for r in rounds]
    if any(v is None for v in checks):
        return None
    if len(checks) == 1:
        return checks[0]
    return {"requests": checks[0]["requests"], "matching": min(v["matching"] for v in checks),
            "mismatches": [{**m, "round": r.round} for r, v in zip(rounds, checks) for m in v["mismatches"]],
            "rounds": len(checks)}


def _entry(rounds: list[RoundRun], ratios: dict) -> dict:
    summaries = [r.run.summary for r in rounds]
    summary, intervals = aggregate(summaries)
    return {**rounds[0].run.describe(), "summary": summary, "rounds": summaries,
            "intervals": {k: e.to_dict() for k, e in intervals.items()}, "ratios": ratios,
            "noise": [r.noise for r in rounds], "verification": _verification(rounds)}


def _set_knobs(p: Prepared) -> dict:
    """The knobs the run set, less those set to a strategy's own default (the same benchmark either way)."""
    defaults = {k.name: k.default for cls in p.strategies for k in cls.knob_specs}
    return {k: v for k, v in p.config.scheduler.knobs.items() if not (k in defaults and defaults[k] == v)}


def benchmark_results(p: Prepared, runs: dict[str, list[RoundRun]], failures: list[str], notes: list[str], *,
                      complete: bool = True, precision: dict | None = None) -> Results:
    """complete=False: the runs (and rounds) finished so far of a run that goes on (kept if it is interrupted).
    `precision`: benchmark/precision.py's record, when rounds ran until a target precision."""
    loaded, wl = p.loaded, p.workload
    config = {
        "model": {"spec": p.config.model.spec, "source": loaded.source, "dtype": str(p.dtype).removeprefix("torch."),
                  "config": loaded.cfg.to_dict(), "weight_bytes": loaded.model.weight_bytes},
        "workload": {"spec": p.config.workload.spec, "options": p.config.workload.options.as_dict()},
        "seed": p.config.seed,
        "warmup": p.config.warmup,
        "repeats": p.config.repeats,
        "scheduler": p.sched.to_dict(),
        "kv_sizing": p.gpu_budget.to_dict() if p.gpu_budget else
        {"source": "given" if p.config.scheduler.kv_budget_tokens else "default"},
        "slo": p.config.slo.as_dict(),
        "cost_model": p.engine.cost.to_dict(),
        "peaks": p.peaks.to_dict(),
    }
    ratios = paired_ratios({name: [r.run.summary for r in rounds] for name, rounds in runs.items()})
    environment = {**describe_environment(p.device, p.engine.backend.name), **p.engine.describe_backend()}
    scheduler = {**p.config.to_dict()["scheduler"], "knobs": _set_knobs(p)}
    if p.gpu_budget is None:  # not sized from free GPU memory: the budget is a fixed function of the config
        scheduler["kv_budget_tokens"] = p.sched.kv_budget_tokens
    doc = {
        "complete": complete,
        "run_config": p.config.to_dict(),
        "config": config,
        "fingerprint": benchmark_fingerprint(workload=wl, model_config=loaded.cfg.to_dict(),
                                             dtype=config["model"]["dtype"], scheduler=scheduler, slo=config["slo"],
                                             environment=environment),
        "environment": environment,
        "workload": {"name": wl.name, "num_requests": len(wl.requests), "offline": wl.is_offline,
                     "source": wl.source},
        "runs": [_entry(rounds, ratios[name]) for name, rounds in runs.items()],
        "failures": failures,
        "notes": notes,
    }
    if precision is not None:
        doc["precision"] = precision
    tables = {name: _table(runs, name) for name in TABLES}
    outputs = {name: rounds[0].run.outputs for name, rounds in runs.items()}  # greedy: every round's are alike
    return Results(None, doc, **tables, outputs=outputs, workload=wl)
