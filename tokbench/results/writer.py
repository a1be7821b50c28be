"""Write a results directory: tables first, results.json last, each file atomically.

results.json carries digests of itself and of every table, so a reader can tell a complete
directory from one that was truncated, mixed with another run's files, or edited by hand.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from tokbench.atomic import atomic_path, atomic_write_text
from tokbench.results.format import (
    OUTPUTS_FILE,
    RESULTS_FILE,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    TABLES,
    table_format,
)
from tokbench.results.integrity import integrity_block
from tokbench.results.table_columns import REQUIRED_COLUMNS
from tokbench.workload.types import Workload


def _json_safe(value):
    """NaN/inf are not JSON: store them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    return value


def write_table(df: pd.DataFrame, path: Path, fmt: str) -> None:
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)


def save_results(results, out_dir: str | Path, *, save_outputs: bool = False) -> Path:
    """Write in-memory Results (as run_benchmark returns them) to `out_dir`; the path of results.json."""
    doc = results.doc
    extra = {k: doc[k] for k in ("run_config", "simulation", "failures", "notes") if k in doc}
    tables = {name: [getattr(results, name)] for name in TABLES}
    return write_results(out_dir, config=doc["config"], environment=doc["environment"], runs=doc["runs"],
                         tables=tables, workload=results.workload, extra=extra,
                         outputs=results.outputs if save_outputs else None)


def write_results(out_dir: str | Path, *, config: dict, environment: dict, runs: list[dict],
                  tables: dict[str, list[pd.DataFrame]], workload: Workload,
                  outputs: dict[str, dict[int, list[int]]] | None = None, extra: dict | None = None) -> Path:
    """`runs`: one description per strategy/backend; `tables[name]`: frames that carry a `run` column.

    `extra`: further top-level keys of results.json (run_config, failures, notes)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # An older results.json would describe tables about to be replaced: until the new one lands, none.
    (out / RESULTS_FILE).unlink(missing_ok=True)
    fmt = table_format()
    files = {}
    for name in TABLES:
        frames = [f for f in tables.get(name, []) if len(f)]
        # An empty table keeps its columns (a peer backend has no steps): CSV cannot store a frame without them.
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(REQUIRED_COLUMNS[name]))
        files[name] = f"{name}.{fmt}"
        write_table(df, out / files[name], fmt)
    if outputs is not None:
        prompts = {r.request_id: list(r.prompt_token_ids) for r in workload.requests}
        lines = [json.dumps({"run": run, "request_id": rid, "prompt_token_ids": prompts[rid],
                             "output_token_ids": toks})
                 for run, per_request in outputs.items() for rid, toks in sorted(per_request.items())]
        atomic_write_text(out / OUTPUTS_FILE, "\n".join(lines) + "\n")
        files["outputs"] = OUTPUTS_FILE
    doc = {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config,
        "environment": environment,
        "workload": {"name": workload.name, "num_requests": len(workload.requests),
                     "offline": workload.is_offline, "source": workload.source},
        "runs": runs,
        **(extra or {}),
        "tables": {"format": fmt, **files},
    }
    # Digest the document as a reader will see it: after the JSON round trip (str() of odd values, NaN -> null).
    doc = json.loads(json.dumps(_json_safe(doc), default=str))
    doc["integrity"] = integrity_block(doc, {f: out / f for f in files.values()})
    atomic_write_text(out / RESULTS_FILE, json.dumps(doc, indent=2) + "\n")
    return out / RESULTS_FILE
