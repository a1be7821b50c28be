"""Load a results directory back into pandas, refusing anything truncated, hand-edited or foreign.

    from tokbench.results import load_results
    res = load_results("results/latest")          # or ".../results.json"
    res.summary_frame()                            # one row per run, one column per metric
    res.run("tokenmaxxing").steps                  # that run's per-step table
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tokbench.document_kind import check_document_kind
from tokbench.errors import UserError
from tokbench.results.directory_version import DirectoryVersion
from tokbench.results.format import RESULTS_FILE, SCHEMA_NAME, SCHEMA_VERSION, TABLES
from tokbench.results.integrity import check_integrity
from tokbench.results.schema import RESULTS_SCHEMA, validate
from tokbench.results.table_columns import REQUIRED_COLUMNS, rows_of


@dataclass(frozen=True)
class RunResult:
    """One run (a strategy on a backend) of a results file, with its rows of each table (every round's,
    told apart by the `round` column)."""

    name: str
    info: dict  # the run's entry in results.json: backend, strategy, kv_layout, knobs, rounds, verification
    summary: dict  # with repeats, the per-metric median over rounds
    requests: pd.DataFrame
    steps: pd.DataFrame
    tokens: pd.DataFrame

    @property
    def rounds(self) -> list[dict]:
        """Each round's own summary (results written before rounds existed: the one summary)."""
        return self.info.get("rounds") or [self.summary]

    @property
    def typical_round(self) -> int:
        """The round whose output throughput is nearest the median: the one to draw when only one fits."""
        values = [r.get("output_throughput") for r in self.rounds]
        known = [(abs(v - self.summary.get("output_throughput", v)), i) for i, v in enumerate(values) if v is not None]
        return min(known)[1] if known else 0

    def of_round(self, index: int) -> "RunResult":
        """This run with the rows of one round only."""
        pick = {t: getattr(self, t) for t in TABLES}
        pick = {t: df[df["round"] == index].reset_index(drop=True) for t, df in pick.items()}
        return RunResult(self.name, self.info, self.rounds[index], **pick)


@dataclass(frozen=True)
class Results:
    """A benchmark's results: loaded from a directory, or as run_benchmark returns them (path None)."""

    path: Path | None  # the results.json that was loaded; None for results not written yet
    doc: dict
    requests: pd.DataFrame
    steps: pd.DataFrame
    tokens: pd.DataFrame
    # Generated token ids per run and request: always in memory after a run; from disk only if saved.
    outputs: dict[str, dict[int, list[int]]] | None = None
    workload: Any = None  # the Workload served (in memory only): its prompts go with saved outputs

    @property
    def failures(self) -> list[str]:
        """One line per strategy that could not finish (e.g. out of GPU memory); the others' results stand."""
        return list(self.doc.get("failures", []))

    @property
    def complete(self) -> bool:
        """False for results written while their run went on, or kept from an interrupted run."""
        return self.doc.get("complete", True) is not False

    @property
    def runs(self) -> list[dict]:
        return self.doc["runs"]

    @property
    def run_names(self) -> list[str]:
        return [r["name"] for r in self.runs]

    def run(self, name: str) -> RunResult:
        info = next((r for r in self.runs if r["name"] == name), None)
        if info is None:
            raise UserError(f"{self.path}: no run named {name!r} (runs: {', '.join(self.run_names)})")
        pick = {t: rows_of(getattr(self, t), name) for t in TABLES}
        return RunResult(name, info, info["summary"], **pick)

    def summary_frame(self) -> pd.DataFrame:
        """Runs as rows, summary metrics as columns (null stored values become NaN)."""
        frame = pd.DataFrame([r["summary"] for r in self.runs], index=self.run_names, dtype=float)
        frame.index.name = "run"
        return frame


def _results_file(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / RESULTS_FILE
    if not p.is_file():
        raise UserError(f"{path}: no results found (expected a results directory or its {RESULTS_FILE})")
    return p


def _read_doc(file: Path, version: DirectoryVersion) -> dict:
    fh = version.open(file.name)
    if fh is None:  # replaced between finding and opening it (the loader reads again)
        raise UserError(f"{file.parent}: no results found (expected a results directory or its {RESULTS_FILE})")
    try:
        with fh:
            text = fh.read().decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{file}: not a tokbench results file (not even text)") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if f'"{SCHEMA_NAME}"' not in text[:4096]:  # results.json names its schema first: this is something else
            raise UserError(f"{file}: not a tokbench results file (not JSON naming schema {SCHEMA_NAME!r}); give a "
                            f"results directory or its {RESULTS_FILE}") from None
        raise UserError(f"{file}: not valid JSON at line {exc.lineno} column {exc.colno} "
                        f"({exc.msg}); the file is truncated or was edited by hand") from None
    check_document_kind(doc, str(file), schema=SCHEMA_NAME, version=SCHEMA_VERSION, what="results file",
                        kind="results")
    problems = validate(doc, RESULTS_SCHEMA)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise UserError(f"{file}: does not match the results schema: {'; '.join(problems[:3])}{more}")
    names = [r["name"] for r in doc["runs"]]
    if len(set(names)) != len(names):
        raise UserError(f"{file}: run names repeat ({', '.join(names)})")
    unguarded = [doc["tables"][t] for t in TABLES if doc["tables"][t] not in doc["integrity"]["files"]]
    if unguarded:
        raise UserError(f"{file}: table file(s) {', '.join(unguarded)} have no digest under integrity.files")
    check_integrity(file, doc, version.open)
    return doc


def _read_table(version: DirectoryVersion, name: str, table: str, fmt: str) -> pd.DataFrame:
    file = version.path / name
    fh = version.open(name)
    if fh is None:
        raise UserError(f"{file}: missing ({table} table named in {RESULTS_FILE})")
    try:
        with fh:
            df = pd.read_parquet(fh) if fmt == "parquet" else pd.read_csv(fh)
    except Exception as exc:  # pyarrow and the csv parser raise many types for a damaged file
        raise UserError(f"{file}: cannot read the {table} table ({type(exc).__name__}: {exc})") from None
    if df.empty and not len(df.columns):
        return pd.DataFrame(columns=[*REQUIRED_COLUMNS[table], "round"])
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in df.columns]
    if missing:
        raise UserError(f"{file}: the {table} table lacks column(s) {', '.join(missing)}")
    if "round" not in df.columns:  # written before repeats: every row is of the one round
        df["round"] = 0
    return df


READ_ATTEMPTS = 5  # reads of a directory that keeps being replaced while it is read


def load_results(path: str | Path) -> Results:
    """Read and check a results directory (or its results.json); UserError names the file and the fault.

    Every file comes from the one version of the directory opened (directory_version.py), so a
    writer swapping new results in meanwhile never makes a reader take a mix of two for damage, or
    for results; a fault found in a version that has since been replaced is read again."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        file = _results_file(path)
        try:
            version = DirectoryVersion(file.parent, file.name)
        except OSError:
            continue  # swapped away between finding and opening it
        with version:
            try:
                res = _load(file, version)
            except UserError:
                if attempt == READ_ATTEMPTS or version.unchanged():
                    raise
                continue
            if version.snapshot or attempt == READ_ATTEMPTS or version.unchanged():
                return res
    file = _results_file(path)  # every attempt raced a writer: one last read says what is there
    with DirectoryVersion(file.parent, file.name) as version:
        return _load(file, version)


def _load(file: Path, version: DirectoryVersion) -> Results:
    doc = _read_doc(file, version)
    fmt = doc["tables"]["format"]
    tables = {t: _read_table(version, doc["tables"][t], t, fmt) for t in TABLES}
    known = set(r["name"] for r in doc["runs"])
    for t, df in tables.items():
        stray = sorted(set(df["run"].astype(str)) - known)
        if stray:
            raise UserError(f"{file}: the {t} table has rows for run(s) {', '.join(stray)} that results.json "
                            "does not list")
    return Results(file, doc, **tables)
