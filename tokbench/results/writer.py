"""Write a results directory whole: every file into a new sibling directory, then swapped in.

results.json carries digests of itself and of every table, taken from the bytes written (not read
back), so a reader can tell a complete directory from one that was truncated, mixed with another
run's files, or edited by hand. The previous directory stays as it was until the new one is
complete (results/staging.py), and one process at a time writes a directory (results/lock.py).
"""

from __future__ import annotations

import io
import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from tokbench.results.format import (
    OUTPUTS_FILE,
    RESULTS_FILE,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    TABLES,
    table_format,
)
from tokbench.results.integrity import bytes_digest, integrity_block
from tokbench.results.lock import output_lock
from tokbench.results.staging import staged_directory
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


def table_bytes(df: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return buf.getvalue()
    return df.to_csv(index=False).encode("utf-8")


def _open_new(path: Path):
    """A new file for writing (tests swap in one that fails part way, like a full disk)."""
    return open(path, "xb")


def put_file(directory: Path, name: str, data: bytes) -> str:
    """Write `data` as directory/name, flushed to the disk; the digest of these very bytes."""
    with _open_new(directory / name) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return bytes_digest(data)


def save_results(results, out_dir: str | Path, *, save_outputs: bool = False, complete: bool | None = None) -> Path:
    """Write in-memory Results (as run_benchmark returns them) to `out_dir`; the path of results.json.

    complete=False marks results written while the run goes on (the runs so far) or kept from an
    interrupted run; None: as the results say (Results.complete)."""
    doc = results.doc
    extra = {k: doc[k] for k in ("run_config", "simulation", "failures", "notes", "fingerprint", "precision") if k in doc}
    tables = {name: [getattr(results, name)] for name in TABLES}
    workload = results.workload if results.workload is not None else doc["workload"]  # loaded: as recorded
    return write_results(out_dir, config=doc["config"], environment=doc["environment"], runs=doc["runs"],
                         tables=tables, workload=workload, extra=extra,
                         outputs=results.outputs if save_outputs else None,
                         complete=results.complete if complete is None else complete)


def write_results(out_dir: str | Path, *, config: dict, environment: dict, runs: list[dict],
                  tables: dict[str, list[pd.DataFrame]], workload: Workload | dict,
                  outputs: dict[str, dict[int, list[int]]] | None = None, extra: dict | None = None,
                  complete: bool = True) -> Path:
    """`runs`: one description per strategy/backend; `tables[name]`: frames that carry a `run` column.

    `workload`: the Workload served, or (results loaded back) its description in results.json.
    `extra`: further top-level keys of results.json (run_config, failures, notes, fingerprint).
    UserError if another process is writing `out_dir`, or it holds files tokbench did not write;
    OSError (a full disk ...) leaves the previous `out_dir` as it was."""
    out = Path(out_dir)
    fmt = table_format()
    with output_lock(out), staged_directory(out) as stage:
        digests, files = {}, {}
        for name in TABLES:
            frames = [f for f in tables.get(name, []) if len(f)]
            # An empty table keeps its columns (a peer backend has no steps): CSV cannot store a frame without them.
            df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(REQUIRED_COLUMNS[name]))
            files[name] = f"{name}.{fmt}"
            digests[files[name]] = put_file(stage, files[name], table_bytes(df, fmt))
        if outputs is not None:
            prompts = {r.request_id: list(r.prompt_token_ids) for r in workload.requests}
            lines = [json.dumps({"run": run, "request_id": rid, "prompt_token_ids": prompts[rid],
                                 "output_token_ids": toks})
                     for run, per_request in outputs.items() for rid, toks in sorted(per_request.items())]
            digests[OUTPUTS_FILE] = put_file(stage, OUTPUTS_FILE, ("\n".join(lines) + "\n").encode("utf-8"))
            files["outputs"] = OUTPUTS_FILE
        doc = {
            "schema": SCHEMA_NAME,
            "schema_version": SCHEMA_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "complete": complete,
            "config": config,
            "environment": environment,
            "workload": workload if isinstance(workload, dict) else {
                "name": workload.name, "num_requests": len(workload.requests), "offline": workload.is_offline,
                "source": workload.source},
            "runs": runs,
            **(extra or {}),
            "tables": {"format": fmt, **files},
        }
        # Digest the document as a reader will see it: after the JSON round trip (str() of odd values, NaN -> null).
        doc = json.loads(json.dumps(_json_safe(doc), default=str))
        doc["integrity"] = integrity_block(doc, digests)
        put_file(stage, RESULTS_FILE, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))
    return out / RESULTS_FILE
