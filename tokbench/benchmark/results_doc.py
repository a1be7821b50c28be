"""A finished benchmark as a Results value: the document results.json will hold, and the tables."""

from __future__ import annotations

import pandas as pd

from tokbench.benchmark.prepare import Prepared
from tokbench.environment import describe_environment
from tokbench.results import Results
from tokbench.results.fingerprint import benchmark_fingerprint
from tokbench.results.format import TABLES
from tokbench.results.table_columns import REQUIRED_COLUMNS


def _table(runs, name: str) -> pd.DataFrame:
    frames = [r.tables[name].assign(run=r.name) for r in runs if len(r.tables[name])]
    # An empty table keeps its columns (a peer backend has no steps).
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(REQUIRED_COLUMNS[name]))


def _set_knobs(p: Prepared) -> dict:
    """The knobs the run set, less those set to a strategy's own default (the same benchmark either way)."""
    defaults = {k.name: k.default for cls in p.strategies for k in cls.knob_specs}
    return {k: v for k, v in p.config.scheduler.knobs.items() if not (k in defaults and defaults[k] == v)}


def benchmark_results(p: Prepared, runs: list, failures: list[str], notes: list[str], *,
                      complete: bool = True) -> Results:
    """complete=False: the runs finished so far of a run that goes on (kept if it is interrupted)."""
    loaded, wl = p.loaded, p.workload
    config = {
        "model": {"spec": p.config.model.spec, "source": loaded.source, "dtype": str(p.dtype).removeprefix("torch."),
                  "config": loaded.cfg.to_dict(), "weight_bytes": loaded.model.weight_bytes},
        "workload": {"spec": p.config.workload.spec, "options": p.config.workload.options.as_dict()},
        "seed": p.config.seed,
        "warmup": p.config.warmup,
        "scheduler": p.sched.to_dict(),
        "kv_sizing": p.gpu_budget.to_dict() if p.gpu_budget else
        {"source": "given" if p.config.scheduler.kv_budget_tokens else "default"},
        "slo": p.config.slo.as_dict(),
        "cost_model": p.engine.cost.to_dict(),
        "peaks": p.peaks.to_dict(),
    }
    environment = {**describe_environment(p.device, p.engine.backend.name), **p.engine.describe_backend()}
    scheduler = {**p.config.to_dict()["scheduler"], "knobs": _set_knobs(p)}
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
        "runs": [r.describe() for r in runs],
        "failures": failures,
        "notes": notes,
    }
    tables = {name: _table(runs, name) for name in TABLES}
    return Results(None, doc, **tables, outputs={r.name: r.outputs for r in runs}, workload=wl)
