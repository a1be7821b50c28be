"""A TOML writer for run configs: tables of strings, numbers, booleans and lists of those.

Python reads TOML (tomllib) but does not write it; a run config needs only this small subset.
"""

from __future__ import annotations

import json
import math


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"TOML cannot hold {type(value).__name__} values")


def _key(key: str) -> str:
    return key if key and all(c.isalnum() or c in "-_" for c in key) else json.dumps(key)


def to_toml(data: dict, *, header: str = "") -> str:
    """`data` as TOML: plain keys first, then one [table] per nested dict (recursively)."""
    lines = [f"# {line}" for line in header.splitlines()]
    _emit(data, [], lines)
    return "\n".join(lines).strip() + "\n"


def _emit(data: dict, path: list[str], lines: list[str]) -> None:
    plain = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict) and v}  # an empty table says nothing
    if path and (plain or not tables):
        lines += ["", f"[{'.'.join(_key(p) for p in path)}]"]
    lines += [f"{_key(k)} = {_scalar(v)}" for k, v in plain.items()]
    for k, v in tables.items():
        _emit(v, [*path, k], lines)
