"""Any CSV, JSONL or Parquet table: columns given by --column NAME=COLUMN, or guessed from the
names common in serving logs and simulators (first match wins; case, spaces and dashes ignored).

An arrival column's unit comes from --time-unit, else from a unit suffix of its name
(`arrival_time_ns`, `t_ms`), else seconds; a guessed unit is recorded in the source, so `profile`
and `run` print what was assumed.
"""

from __future__ import annotations

import difflib
import re

from tokbench.errors import UserError
from tokbench.workload.traces.format import TraceFormat

COMMON_NAMES = {
    "prompt": (
        "prompt_len",
        "prompt_tokens",
        "prompt_length",
        "num_prompt_tokens",
        "input_toks",
        "input_tokens",
        "input_length",
        "input_len",
        "num_input_tokens",
        "num_prefill_tokens",
        "context_tokens",
        "ContextTokens",
        "Request tokens",
        "isl",
        "input",  # LLMServingSim's simulator output (a text column here is refused with its row)
    ),
    "output": (
        "output_len",
        "output_toks",
        "output_tokens",
        "output_length",
        "num_output_tokens",
        "completion_tokens",
        "num_completion_tokens",
        "num_decode_tokens",
        "generated_tokens",
        "GeneratedTokens",
        "Response tokens",
        "max_tokens",
        "osl",
        "output",
    ),
    "arrival": (
        "arrival_s",
        "arrival_time",
        "arrival_time_s",
        "arrival_time_ms",
        "arrival_time_us",
        "arrival_time_ns",
        "arrived_at",
        "arrival",
        "timestamp",
        "time",
    ),
    "blocks": ("hash_ids", "block_ids"),
}
_UNIT_SUFFIX = re.compile(r"[_ (\[](s|sec|secs|seconds|ms|us|ns)[)\]]?$")
_UNITS = {"s": "s", "sec": "s", "secs": "s", "seconds": "s", "ms": "ms", "us": "us", "ns": "ns"}


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _find(candidates: tuple[str, ...], names: list[str]) -> str | None:
    by_key = {}
    for name in names:
        by_key.setdefault(_key(name), name)
    return next((by_key[_key(c)] for c in candidates if _key(c) in by_key), None)


def unit_from_name(column: str) -> str | None:
    """'arrival_time_ns' -> 'ns', 'timestamp (ms)' -> 'ms'; None without a unit suffix."""
    match = _UNIT_SUFFIX.search(_key(column))
    return _UNITS[match.group(1)] if match else None


def closest_columns(canonical: str, names: list[str], n: int = 3) -> list[str]:
    """The file's columns most like the common names for `canonical` (difflib ratio >= 0.5)."""
    scores = {}
    for name in names:
        key = _key(name)
        best = max(difflib.SequenceMatcher(None, key, _key(c)).ratio() for c in COMMON_NAMES[canonical])
        if best >= 0.5:
            scores[name] = best
    return sorted(scores, key=lambda name: -scores[name])[:n]


def generic_format(names: list[str], layout: str, columns: dict[str, str], time_unit: str | None) -> TraceFormat:
    chosen = dict(columns)
    for canonical, candidates in COMMON_NAMES.items():
        if canonical not in chosen:
            found = _find(candidates, names)
            if found is not None:
                chosen[canonical] = found
    for needed in ("prompt", "output"):
        if needed not in chosen:
            close = closest_columns(needed, names)
            hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else ""
            raise UserError(
                f"no {needed}-length column among [{', '.join(names)}]{hint}; pass --column {needed}=COLUMN"
            )
    guessed = False
    if "arrival" in chosen and time_unit is None:
        time_unit = unit_from_name(chosen["arrival"])
        if time_unit is None:
            time_unit, guessed = "s", True
    return TraceFormat("generic", "generic table with a column mapping", layout, chosen, time_unit,
                       time_unit_guessed=guessed)
