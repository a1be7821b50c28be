"""What the manifest says about each point, and the key figures a progress line and a report show."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

PENDING, RUNNING, COMPLETE, FAILED = "pending", "running", "complete", "failed"


def now_iso(epoch: float | None = None) -> str:
    when = datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else datetime.now(timezone.utc)
    return when.isoformat(timespec="seconds")


@dataclass
class PointRecord:
    id: str
    values: dict[str, Any]  # the dotted keys this point sets on top of [base]
    origin: str  # "grid", "point #N" or "capacity"
    dir: str  # its results directory, relative to the sweep directory
    status: str = PENDING
    attempts: int = 0  # times it was started, over every run of the sweep
    host: str | None = None
    submitted: str | None = None  # UTC, ISO 8601
    started: str | None = None  # when the worker began it (the worker's clock)
    finished: str | None = None
    duration_s: float | None = None  # the worker's time on it: model (if not cached), workload, every run
    error: str | None = None  # the line that failed it, when it failed
    failures: list[str] = field(default_factory=list)  # one line per attempt that ended without results
    figures: list[dict] = field(default_factory=list)  # key figures per run, for a quick look

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PointRecord":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _finite(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def attainment(summary: dict) -> float | None:
    """The share of completed requests that met every SLO of the run (None without requests)."""
    good, done = summary.get("good_requests"), summary.get("completed")
    return good / done if isinstance(good, (int, float)) and done else None


def key_figures(results, with_slo: bool) -> list[dict]:
    """Per run: output throughput, p99 TTFT and TPOT, and (with an SLO) the share of requests within it."""
    out = []
    for run in results.runs:
        s = run["summary"]
        row = {"run": run["name"], "strategy": run.get("strategy") or run["name"],
               "output_throughput": _finite(s.get("output_throughput")),
               "p99_ttft_ms": _finite(s.get("p99_ttft_ms")), "p99_tpot_ms": _finite(s.get("p99_tpot_ms"))}
        if with_slo:
            row["attainment"] = attainment(s)
        out.append(row)
    return out


def point_attainment(results) -> float | None:
    """Requests within SLO over requests completed, across the point's runs (its repeats)."""
    good = sum(r["summary"].get("good_requests") or 0 for r in results.runs)
    done = sum(r["summary"].get("completed") or 0 for r in results.runs)
    return good / done if done else None
