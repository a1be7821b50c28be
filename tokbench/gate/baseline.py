"""The gate's baseline file: how to run the benchmark, which metrics to hold, and their accepted values.

Hand-edited for rules and thresholds; its values change only through `tokbench gate
--update-baseline`, so a new baseline is always a deliberate, reviewable commit (docs/gate.md).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from tokbench.atomic import atomic_write_text
from tokbench.document_kind import check_document_kind
from tokbench.errors import UserError
from tokbench.gate.expression import Expression, parse
from tokbench.gate.steady import STEP_METRICS
from tokbench.report.metric_info import HIGHER, LOWER, metric_info
from tokbench.results.schema import validate

MEDIAN, PER_STEP_MEDIAN = "median", "per_step_median"  # how repeats combine (docs/gate.md)
SCHEMA_NAME = "tokbench.gate-baseline"
SCHEMA_VERSION = 2  # 2: benchmark.run_config and recorded.machine; 1 (benchmark.run_args) is still read
# Figures of the schedule alone: for an offline workload they do not depend on the machine.
SCHEDULE_METRICS = frozenset({"num_steps", "padding_ratio", "preemptions", "tokens_identical", "completed",
                              "total_input_tokens", "total_output_tokens", "peak_kv_reserved_tokens",
                              "peak_kv_memory_bytes", "mean_batch_size"})

_NUMBER = {"type": "number"}
BASELINE_SCHEMA = {
    "type": "object",
    "required": ["schema", "schema_version", "rules"],
    "properties": {
        "schema": {"const": SCHEMA_NAME},
        "schema_version": {"type": "integer", "minimum": 1},
        "description": {"type": "string"},
        "benchmark": {
            "type": "object",
            "properties": {"run_config": {"type": "object"},
                           "run_args": {"type": "array", "items": {"type": "string"}},
                           "repeat": {"type": "integer", "minimum": 1}},
        },
        "recorded": {"type": "object"},
        "rules": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["metric"],
                "properties": {
                    "metric": {"type": "string", "minLength": 1},
                    "better": {"enum": [HIGHER, LOWER]},
                    "relative": {"type": "number", "minimum": 0},
                    "absolute": {"type": "number", "minimum": 0},
                    "value": {"type": ["number", "null"]},
                    "observed": {"type": "array", "items": {"type": ["number", "null"]}},
                    "over_repeats": {"enum": [MEDIAN, PER_STEP_MEDIAN]},
                    "why": {"type": "string"},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Rule:
    expression: Expression
    better: str  # HIGHER or LOWER
    relative: float | None  # allowed loss as a fraction of the baseline value
    absolute: float | None  # allowed loss in the metric's own unit
    value: float | None  # the baseline value; None until --update-baseline fills it
    over_repeats: str = MEDIAN
    why: str = ""

    @property
    def name(self) -> str:
        return str(self.expression)

    def threshold_text(self) -> str:
        return f"{self.relative:.0%}" if self.relative is not None else f"{self.absolute:g}"

    def _allowed(self) -> float:
        return abs(self.value) * self.relative if self.relative is not None else self.absolute

    def limit(self) -> float:
        """The worst candidate value that still passes."""
        return self.value - self._allowed() if self.better == HIGHER else self.value + self._allowed()

    @property
    def schedule_only(self) -> bool:
        """Every term is a figure of the schedule (machine-independent for an offline workload)."""
        return all(t.metric in SCHEDULE_METRICS for t in self.expression.terms)

    def ab_tolerance(self) -> float:
        """The allowed loss as a fraction, for a ratio against a reference run (A/B)."""
        if self.relative is not None:
            return self.relative
        return self.absolute / abs(self.value) if self.value else 0.0

    def improves(self, candidate: float) -> bool:
        """Better than the baseline by more than the threshold: time for a deliberate new baseline."""
        if self.better == HIGHER:
            return candidate > self.value + self._allowed()
        return candidate < self.value - self._allowed()

    def passes(self, candidate: float) -> bool:
        if math.isnan(candidate):
            return False
        limit = self.limit()
        return candidate >= limit if self.better == HIGHER else candidate <= limit


@dataclass
class Baseline:
    path: Path
    doc: dict
    rules: list[Rule] = field(default_factory=list)

    @property
    def run_args(self) -> list[str] | None:
        """`tokbench run` flags of a version-1 baseline (newer ones store a run_config)."""
        bench = self.doc.get("benchmark") or {}
        return list(bench["run_args"]) if "run_args" in bench else None

    @property
    def run_config(self) -> dict | None:
        return (self.doc.get("benchmark") or {}).get("run_config")

    @property
    def has_benchmark(self) -> bool:
        return self.run_config is not None or self.run_args is not None

    @property
    def machine(self) -> dict | None:
        return self.recorded.get("machine")

    @property
    def repeat(self) -> int:
        return (self.doc.get("benchmark") or {}).get("repeat", 1)

    @property
    def recorded(self) -> dict:
        return self.doc.get("recorded") or {}


def _direction(item: dict, expr: Expression, where: str) -> str:
    if "better" in item:
        return item["better"]
    metrics = {t.metric for t in expr.terms}
    better = metric_info(next(iter(metrics))).better if len(metrics) == 1 else None
    if better is None:
        raise UserError(f"{where}: say \"better\": \"higher\" or \"lower\" (no default for {expr})")
    return better


def _rule(item: dict, where: str) -> Rule:
    expr = parse(item["metric"])
    if ("relative" in item) == ("absolute" in item):
        raise UserError(f"{where}: give exactly one of \"relative\" (a fraction, 0.1 = 10%) or \"absolute\"")
    if item.get("relative", 0) >= 1:
        raise UserError(f"{where}: relative {item['relative']} is 100% or more; thresholds are fractions (0.1 = 10%)")
    over_repeats = item.get("over_repeats", MEDIAN)
    if over_repeats == PER_STEP_MEDIAN:
        other = [t.metric for t in expr.terms if t.metric not in STEP_METRICS]
        if other:
            raise UserError(f"{where}: {', '.join(other)} is not computed from steps alone, so it cannot be "
                            f"taken {PER_STEP_MEDIAN} (step metrics: {', '.join(sorted(STEP_METRICS))})")
    return Rule(expr, _direction(item, expr, where), item.get("relative"), item.get("absolute"),
                item.get("value"), over_repeats, item.get("why", ""))


def load_baseline(path: Path) -> Baseline:
    if not path.is_file():
        raise UserError(f"--baseline {path}: no such file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, OSError) as exc:
        raise UserError(f"{path}: cannot read the baseline ({exc})") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    check_document_kind(doc, str(path), schema=SCHEMA_NAME, version=SCHEMA_VERSION, what="gate baseline",
                        kind="baseline")
    problems = validate(doc, BASELINE_SCHEMA)
    if problems:
        raise UserError(f"{path}: not a valid baseline: {'; '.join(problems[:3])}")
    rules = [_rule(item, f"{path}: rules[{i}] ({item['metric']!r})") for i, item in enumerate(doc["rules"])]
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise UserError(f"{path}: a metric has two rules ({', '.join(n for n in names if names.count(n) > 1)})")
    run_args = (doc.get("benchmark") or {}).get("run_args", [])
    if any(a in ("--out", "-o") or a.startswith("--out=") for a in run_args):
        raise UserError(f"{path}: benchmark.run_args must not set --out; the gate chooses where rounds go")
    return Baseline(path, doc, rules)


def write_baseline(baseline: Baseline, measured: dict, recorded: dict, run_config: dict | None = None) -> None:
    """Store new accepted values (rules and thresholds as they were), atomically.

    `measured`: rule name -> (the value judged, the value in each round). `run_config`: the
    benchmark as a run config, replacing a version-1 baseline's run_args.
    """
    doc = dict(baseline.doc)
    doc["schema_version"] = SCHEMA_VERSION
    if run_config is not None:
        bench = {k: v for k, v in (doc.get("benchmark") or {}).items() if k != "run_args"}
        doc["benchmark"] = {"run_config": run_config, **{k: v for k, v in bench.items() if k != "run_config"}}
    doc["recorded"] = recorded
    rules = []
    for item in doc["rules"]:
        value, values = measured[str(parse(item["metric"]))]
        rules.append({**item, "value": None if math.isnan(value) else round(value, 6),
                      "observed": [None if math.isnan(v) else round(v, 6) for v in values]})
    doc["rules"] = rules
    atomic_write_text(baseline.path, json.dumps(doc, indent=2) + "\n")
