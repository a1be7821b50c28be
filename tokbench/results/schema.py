"""The JSON Schema of results.json, and a small validator for the subset of JSON Schema it uses.

docs/results-format.md shows this schema written out (`python -m tokbench.results.schema`); a test keeps
the two equal. The validator is hand-rolled so that loading results needs no extra package.
"""

from __future__ import annotations

import json
import re
import sys

from tokbench.results.format import SCHEMA_NAME, SCHEMA_VERSION, TABLES

# vLLM's benchmark names: every run's summary must carry them (null where undefined, e.g. TPOT of 1-token outputs).
LATENCY_METRICS = tuple(f"{stat}_{name}_ms" for name in ("ttft", "tpot", "itl", "e2el")
                        for stat in ("mean", "median", "p90", "p99"))
REQUIRED_SUMMARY = ("completed", "duration_s", "total_input_tokens", "total_output_tokens", "request_throughput",
                    "output_throughput", "total_token_throughput", *LATENCY_METRICS)

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_STRING_OR_NULL = {"type": ["string", "null"]}
_INT_OR_NULL = {"type": ["integer", "null"]}
_OBJECT = {"type": "object"}
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_ESTIMATE = {"type": "object", "required": ["median", "lo", "hi", "n"],
             "properties": {"median": _NUMBER_OR_NULL, "lo": _NUMBER_OR_NULL, "hi": _NUMBER_OR_NULL,
                            "n": {"type": "integer", "minimum": 0}}}

# Every field is present; null means "not known on this machine" (e.g. driver on a CPU run).
_ENVIRONMENT = {
    "tokbench_version": {"type": "string"},
    "git_commit": {**_STRING_OR_NULL, "description": "Commit of the tokbench checkout, null outside git."},
    "python": {"type": "string"},
    "torch": {"type": "string"},
    "cuda": {**_STRING_OR_NULL, "description": "CUDA version torch was built with; null for CPU builds."},
    "driver": {**_STRING_OR_NULL, "description": "NVIDIA driver version; null on CPU runs."},
    "platform": {"type": "string"},
    "cpu_model": _STRING_OR_NULL,
    "cpu_count": {**_INT_OR_NULL, "description": "Logical cores of the machine."},
    "cpu_usable": {**_INT_OR_NULL, "description": "Cores this process may run on (affinity)."},
    "torch_threads": {"type": "integer"},
    "device": {"type": "string", "description": "torch device of the run: cpu, cuda, cuda:1 ..."},
    "device_name": _STRING_OR_NULL,
    "device_memory_bytes": {**_INT_OR_NULL, "description": "GPU memory; on CPU runs the machine's RAM."},
    "compute_capability": _STRING_OR_NULL,
    "attention_backend": {"type": "string"},
}

RESULTS_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tokbench results.json",
    "description": "One benchmark: its configuration, where it ran, and one summary per run (strategy/backend). "
                   "Per-request, per-step and per-token tables sit beside it; every summary figure can be "
                   "recomputed from them. See docs/results-format.md.",
    "type": "object",
    "required": ["schema", "schema_version", "created", "config", "environment", "workload", "runs", "tables",
                 "integrity"],
    "properties": {
        "schema": {"const": SCHEMA_NAME},
        "schema_version": {"type": "integer", "minimum": 1},
        "created": {"type": "string", "description": "UTC time the results were written, ISO 8601."},
        "complete": {"type": "boolean",
                     "description": "false: written while the run went on, or left by an interrupted run; the runs "
                                    "listed finished, the others never did. Absent in results older than the flag."},
        "fingerprint": {"type": "object",
                        "description": "What makes two results the same benchmark (workload content, model, knobs, "
                                       "device kind); compare, report and gate refuse to judge across different ones. "
                                       "See docs/results-format.md."},
        "config": {
            "type": "object",
            "required": ["model", "workload", "seed"],
            "properties": {
                "model": {"type": "object", "required": ["spec", "dtype"],
                          "properties": {"spec": {"type": "string"}, "dtype": {"type": "string"}}},
                "workload": _OBJECT,
                "seed": {"type": "integer"},
                "warmup": {"type": "boolean"},
                "repeats": {"type": "integer", "minimum": 1},
                "scheduler": _OBJECT,
                "slo": _OBJECT,
                "cost_model": _OBJECT,
                "peaks": _OBJECT,
            },
        },
        "environment": {
            "type": "object",
            "required": list(_ENVIRONMENT),
            "properties": _ENVIRONMENT,
        },
        "workload": {
            "type": "object",
            "required": ["name", "num_requests"],
            "properties": {"name": {"type": "string"}, "num_requests": {"type": "integer", "minimum": 0}},
        },
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "backend", "summary"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "backend": {"type": "string"},
                    "strategy": {"type": ["string", "null"]},
                    "kv_layout": {"type": ["string", "null"]},
                    "knobs": _OBJECT,
                    "summary": {
                        "type": "object",
                        "description": "With repeats, each metric's median over the rounds.",
                        "required": list(REQUIRED_SUMMARY),
                        "additionalProperties": {"type": ["number", "null"]},
                        "properties": {name: _NUMBER_OR_NULL for name in REQUIRED_SUMMARY},
                    },
                    "rounds": {
                        "type": "array",
                        "description": "Each round's own summary, in round order (--repeats N).",
                        "items": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
                    },
                    "intervals": {
                        "type": "object",
                        "description": "Per metric: median over rounds and 95% interval (null with one round).",
                        "additionalProperties": _ESTIMATE,
                    },
                    "ratios": {
                        "type": "object",
                        "description": "This run ÷ each other run of the benchmark, round by round, per metric.",
                        "additionalProperties": {"type": "object", "additionalProperties": _ESTIMATE},
                    },
                    "noise": {
                        "type": "array",
                        "description": "Per round: the machine's load around it and whether it was disturbed.",
                        "items": {"type": "object", "required": ["round", "warning"]},
                    },
                    "verification": {"type": ["object", "null"]},
                },
            },
        },
        "tables": {
            "type": "object",
            "required": ["format", *TABLES],
            "properties": {"format": {"enum": ["parquet", "csv"]},
                           **{name: {"type": "string"} for name in (*TABLES, "outputs")}},
        },
        "precision": {
            "type": "object",
            "description": "With --target-precision: the target, the rounds run, whether every run's output "
                           "throughput reached it, and each run's 95% half-width in percent.",
            "required": ["metric", "target_percent", "max_repeats", "rounds", "reached", "half_width_percent"],
            "properties": {"metric": {"type": "string"}, "target_percent": {"type": "number"},
                           "max_repeats": {"type": "integer", "minimum": 2}, "rounds": {"type": "integer", "minimum": 1},
                           "reached": {"type": "boolean"},
                           "half_width_percent": {"type": "object", "additionalProperties": {"type": ["number", "null"]}}},
        },
        "integrity": {
            "type": "object",
            "description": "SHA-256 of this document (canonical JSON without this block) and of every file "
                           "it names; see docs/results-format.md.",
            "required": ["algorithm", "document", "files"],
            "properties": {
                "algorithm": {"const": "sha256"},
                "document": _SHA256,
                "files": {"type": "object", "additionalProperties": _SHA256},
            },
        },
    },
}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _where(path: str) -> str:
    return path or "the top level"


def validate(value, schema: dict, path: str = "") -> list[str]:
    """Problems with `value` against `schema`, each naming its JSON path (empty list: valid)."""
    if "const" in schema and value != schema["const"]:
        return [f"{_where(path)} is {value!r}, expected {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{_where(path)} is {value!r}, expected one of {schema['enum']}"]
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            return [f"{_where(path)} should be {' or '.join(types)}, found {type(value).__name__} {value!r:.40}"]
    problems: list[str] = []
    if isinstance(value, (int, float)) and "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{_where(path)} is {value}, below the minimum {schema['minimum']}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        problems.append(f"{_where(path)} is an empty string")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{_where(path)} is {value!r:.40}, which does not match {schema['pattern']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{_where(path)} needs at least {schema['minItems']} item(s)")
        for i, item in enumerate(value):
            problems += validate(item, schema.get("items", {}), f"{path}[{i}]")
    if isinstance(value, dict):
        problems += [f"{path + '.' if path else ''}{key} is missing" for key in schema.get("required", [])
                     if key not in value]
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", {})
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else {})
            problems += validate(item, sub, f"{path}.{key}" if path else key)
    return problems


if __name__ == "__main__":
    sys.stdout.write(json.dumps(RESULTS_SCHEMA, indent=2) + "\n")
