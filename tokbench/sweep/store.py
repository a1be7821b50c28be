"""A sweep directory: manifest.json, one results directory per point under points/, and a lock.

    SWEEP_DIR/
      manifest.json        what was asked (the spec), each point's status, attempts, host, timings
      points/<id>/         an ordinary results directory (results.json + tables), written by the driver
      sweep.lock           held while a driver runs, so two never write one sweep

A point is complete when its results load with valid digests and were made by its own config;
anything else (absent, half-written, edited) is run again.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from tokbench.atomic import atomic_write_text
from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.config_errors import ConfigError
from tokbench.document_kind import check_document_kind
from tokbench.errors import UserError
from tokbench.results import Results, load_results
from tokbench.sweep.keys import point_id

MANIFEST = "manifest.json"
POINTS = "points"
LOCK = "sweep.lock"
SCHEMA = "tokbench.sweep"
SCHEMA_VERSION = 1


def is_sweep_dir(path: str | Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


class SweepStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = None
        self._created = False

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def point_dir(self, pid: str) -> Path:
        return self.root / POINTS / pid

    def open(self) -> None:
        """Create (or reopen) the directory and hold its lock until close()."""
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"--out {self.root}: exists and is not a directory")
        if self.root.is_dir() and not is_sweep_dir(self.root) and any(p.name != LOCK for p in self.root.iterdir()):
            raise UserError(f"--out {self.root}: not empty and not a sweep directory (no {MANIFEST}); choose "
                            "another --out")
        self._created = not self.root.exists()
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.root / LOCK, "a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.seek(0)
            holder = self._lock.read().strip() or "another process"
            self._lock.close()
            self._lock = None
            raise UserError(f"--out {self.root}: another tokbench sweep is running on it ({holder})") from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"pid {os.getpid()}\n")
        self._lock.flush()

    def close(self) -> None:
        if self._lock is None:
            return
        if not is_sweep_dir(self.root):  # stopped before its first manifest: leave nothing behind
            (self.root / LOCK).unlink(missing_ok=True)
            if self._created and not any(self.root.iterdir()):
                self.root.rmdir()
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()
        self._lock = None

    def read_manifest(self) -> dict | None:
        return read_manifest(self.root) if is_sweep_dir(self.root) else None

    def write_manifest(self, doc: dict) -> None:
        atomic_write_text(self.manifest_path, json.dumps(doc, indent=2, default=str) + "\n")

    def complete(self, pid: str) -> Results | None:
        """The point's results if complete (not an interrupted run's partial ones), digest-valid and made by
        this very config; else None."""
        directory = self.point_dir(pid)
        if not (directory / "results.json").is_file():
            return None
        try:
            results = load_results(directory)
            made_by = point_id(RunConfig.from_dict(results.doc.get("run_config") or {}))
        except (UserError, ConfigError):
            return None
        return results if made_by == pid and results.complete else None


def read_manifest(root: str | Path) -> dict:
    path = Path(root) / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: cannot read the sweep manifest ({exc})") from None
    return check_document_kind(doc, str(path), schema=SCHEMA, version=SCHEMA_VERSION, what="sweep manifest",
                               kind="sweep")
