"""A sweep directory read for reporting: its manifest, and one row per run of every complete point."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tokbench.errors import UserError
from tokbench.results import load_results
from tokbench.sweep.keys import describe_values, format_value, short_key
from tokbench.sweep.records import attainment
from tokbench.sweep.store import is_sweep_dir, read_manifest


@dataclass(frozen=True)
class SweepRow:
    """One run (a strategy, a repeat) of one complete point."""

    point: str
    values: dict  # the dotted keys the point sets on top of [base]
    strategy: str
    run: str
    summary: dict

    def value(self, metric: str) -> float:
        v = self.summary.get(metric)
        return float("nan") if v is None else float(v)

    @property
    def attainment(self) -> float | None:
        return attainment(self.summary)


@dataclass(frozen=True)
class SweepData:
    root: Path
    manifest: dict
    rows: list[SweepRow]
    notes: list[str] = field(default_factory=list)  # points listed complete whose results would not load
    docs: dict[str, dict] = field(default_factory=dict)  # point id -> its results.json (fingerprint, config)

    @property
    def records(self) -> list[dict]:
        return self.manifest.get("points", [])

    @property
    def capacity(self) -> list[dict]:
        return self.manifest.get("capacity") or []

    def slo_points(self) -> set[str]:
        """Points whose runs had an SLO (their manifest figures carry an attainment)."""
        return {p["id"] for p in self.records if any("attainment" in f for f in p.get("figures", []))}

    @property
    def strategies(self) -> list[str]:
        return list(dict.fromkeys(r.strategy for r in self.rows))

    def swept_keys(self) -> list[str]:
        """Keys other than the strategy that take two or more values across the complete points."""
        keys = list(dict.fromkeys(k for r in self.rows for k in r.values if k != "strategies"))
        return [k for k in keys if len({repr(r.values.get(k)) for r in self.rows}) > 1]

    def label(self, row: SweepRow) -> str:
        """The row's swept values other than its strategy: 'max_num_seqs=8 rate_scale=2'."""
        return describe_values({k: row.values[k] for k in self.swept_keys() if k in row.values}) \
            if self.swept_keys() else "(base)"


def load_sweep(path: str | Path) -> SweepData:
    root = Path(path)
    if not is_sweep_dir(root):
        raise UserError(f"{path}: not a sweep directory (no manifest.json)")
    manifest = read_manifest(root)
    rows, notes, docs = [], [], {}
    for record in manifest.get("points", []):
        if record.get("status") != "complete":
            continue
        try:
            results = load_results(root / record["dir"])
        except UserError as exc:
            notes.append(f"point {record['id']} is listed complete but its results do not load ({exc}); "
                         "run the sweep again to redo it")
            continue
        docs[record["id"]] = results.doc
        for run in results.runs:
            rows.append(SweepRow(record["id"], record["values"], run.get("strategy") or run["name"], run["name"],
                                 run["summary"]))
    return SweepData(root, manifest, rows, notes, docs)


def value_text(key: str, value) -> str:
    return f"{short_key(key)}={format_value(value)}"
