"""A sweep spec: a [base] RunConfig, a [grid] of dotted keys -> lists, [[point]] tables, a [capacity] search.

    [base]                       # a run config, as `tokbench run --print-config` prints it
    workload.spec = "high-variance-online"
    warmup = false
    [grid]                       # the cartesian product of these lists ...
    strategies = ["continuous", "tokenmaxxing"]
    "scheduler.max_num_seqs" = [8, 32]
    [[point]]                    # ... plus these points, each applied on [base]
    strategies = "tokenmaxxing"
    "scheduler.knobs.chunk_size" = 64
    [capacity]                   # optional: search each strategy's highest rate_scale within the SLO
    slo = { ttft_ms = 2000, tpot_ms = 200 }

Every problem is one line naming the spec file, the table and the key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.config_errors import ConfigError
from tokbench.benchmark.config_parse import merge_dotted
from tokbench.errors import UserError
from tokbench.sweep.capacity_settings import CapacitySettings, parse_capacity
from tokbench.sweep.keys import NOT_HASHED, config_key, digest, flatten, format_value

TABLES = ("base", "grid", "point", "capacity")
RATE_KEY = "workload.rate_scale"


@dataclass(frozen=True)
class SweepSpec:
    where: str  # the spec file (or "the command line"), for messages
    base: RunConfig
    grid: dict[str, list] = field(default_factory=dict)  # dotted key -> the values to sweep, in file order
    points: list[dict[str, Any]] = field(default_factory=list)  # explicit points: dotted key -> value
    capacity: CapacitySettings | None = None

    def canonical(self) -> dict:
        """Plain data that two equal specs share, however their files were written (what is hashed)."""
        return {"base": config_key(self.base), "grid": {k: list(v) for k, v in self.grid.items()},
                "points": [dict(p) for p in self.points],
                "capacity": self.capacity.to_dict() if self.capacity else None}

    @property
    def hash(self) -> str:
        return digest(self.canonical(), 16)


def _read_toml(path: Path) -> dict:
    import tomllib

    if not path.is_file():
        raise UserError(f"{path}: no such sweep spec")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read it ({exc})") from None


def load_spec(path: str | Path, *, check: bool = True) -> SweepSpec:
    """The spec in `path`; check=False leaves the whole-spec checks for after command-line additions."""
    return parse_spec(_read_toml(Path(path)), str(path), check=check)


def build_config(base: dict, values: dict[str, Any], where: str) -> RunConfig:
    """`base` (to_dict form) with dotted `values` set; every problem prefixed by `where`."""
    try:
        return RunConfig.from_dict(merge_dotted(base, values), where=where)
    except ConfigError as exc:
        raise ConfigError([p if p.startswith(where) else f"{where}: {p}" for p in exc.problems]) from None


def _no_out(keys, where: str) -> None:
    for key in keys:
        if key in NOT_HASHED:
            raise UserError(f"{where}: {key!r} cannot be swept: the sweep writes each point under its own "
                            "directory (choose the sweep directory with --out)")


def _parse_base(data, where: str) -> RunConfig:
    if not isinstance(data, dict):
        raise UserError(f"{where} [base]: must be a table of run-config keys")
    # Quoted dotted keys ("scheduler.max_num_seqs" = 8) and nested tables mean the same.
    return build_config({}, flatten(data), f"{where} [base]")


def _parse_grid(data, base: RunConfig, where: str) -> dict[str, list]:
    if not isinstance(data, dict):
        raise UserError(f"{where} [grid]: must be a table of dotted keys -> lists of values")
    grid = flatten(data)
    _no_out(grid, f"{where} [grid]")
    base_dict = base.to_dict()
    for key, values in grid.items():
        if not isinstance(values, list):
            raise UserError(f"{where} [grid] {key} = {values!r}: must be a list of values to sweep "
                            "(a single value belongs in [base])")
        if not values:
            raise UserError(f"{where} [grid] {key} = []: an empty list sweeps nothing")
        for value in values:  # each value checked alone, so the line names the one that is wrong
            build_config(base_dict, {key: value}, f"{where} [grid] {key}")
    return grid


def _parse_points(data, base: RunConfig, where: str) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(p, dict) for p in data):
        raise UserError(f"{where} [[point]]: each point must be a table of dotted keys (write [[point]])")
    points, base_dict = [], base.to_dict()
    for i, table in enumerate(data, 1):
        values = flatten(table)
        label = f"{where} [[point]] #{i}"
        if not values:
            raise UserError(f"{label}: an empty point is the base itself; give at least one key")
        _no_out(values, label)
        build_config(base_dict, values, label)
        points.append(values)
    return points


def parse_spec(data: dict, where: str, *, check: bool = True) -> SweepSpec:
    unknown = [k for k in data if k not in TABLES]
    if unknown:
        close = difflib.get_close_matches(unknown[0], TABLES, n=1)
        hint = f" (did you mean [{close[0]}]?)" if close else f" (known: {', '.join(TABLES)})"
        raise UserError(f"{where}: unknown table [{unknown[0]}]{hint}")
    base = _parse_base(data.get("base", {}), where)
    grid = _parse_grid(data.get("grid", {}), base, where)
    points = _parse_points(data.get("point", []), base, where)
    capacity = parse_capacity(data["capacity"], f"{where} [capacity]") if "capacity" in data else None
    spec = SweepSpec(where, base, grid, points, capacity)
    if check:
        check_spec(spec)
    return spec


def check_spec(spec: SweepSpec) -> None:
    """What only the whole spec can tell: nothing to run, or a capacity search fighting the grid."""
    if spec.capacity is None and not spec.grid and not spec.points:
        raise UserError(f"{spec.where}: nothing to sweep: [grid] is empty and there is no [[point]] "
                        "(give [grid] lists of values, [[point]] tables, or a [capacity] search)")
    if spec.capacity is not None:
        if RATE_KEY in spec.grid or any(RATE_KEY in p for p in spec.points):
            raise UserError(f"{spec.where}: the capacity search sets {RATE_KEY} itself; remove it from "
                            "[grid] and [[point]] (its first probe is [capacity] start)")


_DEFAULT = "(default)"


def spec_differences(old: dict, new: dict) -> list[str]:
    """One line per difference between two canonical specs: 'grid.scheduler.max_num_seqs: [8] -> [8, 16]'."""
    lines = []
    for table in ("base", "grid", "capacity"):
        a, b = old.get(table) or {}, new.get(table) or {}
        for key in sorted(set(a) | set(b)):
            if a.get(key, _DEFAULT) != b.get(key, _DEFAULT):
                lines.append(f"{table}.{key}: {_show(a.get(key, _DEFAULT))} -> {_show(b.get(key, _DEFAULT))}")
    old_points, new_points = old.get("points") or [], new.get("points") or []
    for i in range(max(len(old_points), len(new_points))):
        a = old_points[i] if i < len(old_points) else None
        b = new_points[i] if i < len(new_points) else None
        if a != b:
            lines.append(f"[[point]] #{i + 1}: {_show_point(a)} -> {_show_point(b)}")
    return lines


def _show(value) -> str:
    return "[" + ", ".join(format_value(v) for v in value) + "]" if isinstance(value, list) else format_value(value)


def _show_point(values) -> str:
    if values is None:
        return "none"
    return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in values.items()) + "}"
