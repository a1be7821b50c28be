"""Plain data (from TOML, JSON or results.json) into a RunConfig, checking every key and type.

Each problem is one line naming the file, the config key and the flag that sets it.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import fields
from typing import Any, Union

from tokbench.benchmark.config import (
    ModelSettings,
    RunConfig,
    SchedulerSettings,
    SLOSettings,
    WorkloadSettings,
)
from tokbench.benchmark.config_errors import ConfigError, flag_of, key_of_flag
from tokbench.errors import UserError
from tokbench.workload.options import WorkloadOptions, parse_window

_TOP_SCALARS = {"warmup": bool, "seed": int, "verify": bool, "save_outputs": bool, "repeats": int,
                "target_precision": float, "max_repeats": int, "out": str}
_SECTIONS = {"model": ModelSettings, "scheduler": SchedulerSettings, "slo": SLOSettings}
_IGNORED = ("schema", "schema_version")
_OPTION_FIELDS = [f.name for f in fields(WorkloadOptions) if f.name != "progress"]
_BAD = object()  # a value already reported as a problem: left out, so the rest can still be checked


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _allowed_types(hint) -> tuple[tuple, bool]:
    """(accepted types, None allowed) of a field annotation such as `int | None`."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = typing.get_args(hint)
        return tuple(a for a in args if a is not type(None)), type(None) in args
    return ((origin or hint),), False


def _coerce(value, hint, key: str, problems: list[str]):
    accepted, nullable = _allowed_types(hint)
    if value is None:
        if not nullable:
            problems.append(f"{flag_of(key)} ({key}): must be set")
            return _BAD
        return value
    for tp in accepted:
        if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if tp is int and isinstance(value, bool):
            continue
        if tp in (dict, tuple, list) and isinstance(value, (dict, list, tuple)):
            return value
        if isinstance(tp, type) and isinstance(value, tp):
            return value
    problems.append(f"{flag_of(key)} {value!r} ({key}): must be {' or '.join(_type_name(t) for t in accepted)}")
    return _BAD


def _unknown(key: str, known: list[str], where: str) -> str:
    leaf = key.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(leaf, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
    return f"{where}: unknown key {key!r}{hint}"


def _section(cls, data, prefix: str, where: str, problems: list[str]) -> dict:
    if not isinstance(data, dict):
        problems.append(f"{where}: [{prefix}] must be a table of keys, got {type(data).__name__}")
        return {}
    hints = typing.get_type_hints(cls)
    out = {}
    for key, value in data.items():
        if key not in hints:
            problems.append(_unknown(f"{prefix}.{key}", list(hints), where))
            continue
        out[key] = _coerce(value, hints[key], f"{prefix}.{key}", problems)
    return {k: v for k, v in out.items() if v is not _BAD}


def _string_list(value, key: str, problems: list[str]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        problems.append(f"{flag_of(key)} {value!r} ({key}): must be a list of names")
        return _BAD
    return tuple(items)


def _workload(data, where: str, problems: list[str]) -> WorkloadSettings:
    if not isinstance(data, dict):
        problems.append(f"{where}: [workload] must be a table of keys")
        return WorkloadSettings()
    data = dict(data)
    spec = data.pop("spec", WorkloadSettings.spec)
    if not isinstance(spec, str):
        problems.append(f"--workload {spec!r} (workload.spec): must be a name or a path")
    hints = typing.get_type_hints(WorkloadOptions)
    values: dict[str, Any] = {"over_length": "refuse"}
    for key, value in data.items():
        if key not in _OPTION_FIELDS:
            problems.append(_unknown(f"workload.{key}", ["spec", *_OPTION_FIELDS], where))
        elif key == "window" and isinstance(value, str):
            try:
                values["window"] = parse_window(value)
            except UserError as exc:
                problems.append(f"{exc} (workload.window)")
        elif key == "columns":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                problems.append(f"--column {value!r} (workload.columns): must map names to column names")
            else:
                values["columns"] = dict(value)
        else:
            values[key] = _coerce(value, hints[key], f"workload.{key}", problems)
    values = {k: v for k, v in values.items() if v is not _BAD}
    try:
        options = WorkloadOptions(**values)
    except UserError as exc:  # its own range checks name the flag; add the key
        flag = str(exc).split()[0]
        problems.append(f"{exc} ({key_of_flag(flag, 'workload')})")
        options = WorkloadOptions(over_length="refuse")
    except TypeError as exc:
        problems.append(f"{where}: [workload] {exc}")
        options = WorkloadOptions(over_length="refuse")
    return WorkloadSettings(spec if isinstance(spec, str) else WorkloadSettings.spec, options)


def config_from_dict(data: dict, where: str = "run config") -> RunConfig:
    if not isinstance(data, dict):
        raise ConfigError([f"{where}: a run config is a table of keys, got {type(data).__name__}"])
    problems: list[str] = []
    kwargs: dict[str, Any] = {}
    known = [*_SECTIONS, "workload", "strategies", "backends", *_TOP_SCALARS]
    for key, value in data.items():
        if key in _IGNORED:
            continue
        if key in _SECTIONS:
            kwargs[key] = _section(_SECTIONS[key], value, key, where, problems)
        elif key == "workload":
            kwargs[key] = _workload(value, where, problems)
        elif key in ("strategies", "backends"):
            kwargs[key] = _string_list(value, key, problems)
        elif key in _TOP_SCALARS:
            kwargs[key] = _coerce(value, _TOP_SCALARS[key], key, problems)
        else:
            problems.append(_unknown(key, known, where))
    kwargs = {k: v for k, v in kwargs.items() if v is not _BAD}
    for key, cls in _SECTIONS.items():
        if key in kwargs:
            kwargs[key] = cls(**kwargs[key])
    knobs = kwargs["scheduler"].knobs if "scheduler" in kwargs else {}
    problems += [f"--knob {k}={v!r} (scheduler.knobs.{k}): must be a number, string or boolean"
                 for k, v in knobs.items() if not isinstance(v, (int, float, str, bool))]
    try:
        config = RunConfig(**kwargs)
    except ConfigError as exc:  # range checks of the fields that parsed
        problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return config


def merge_dotted(base: dict, values: dict[str, Any]) -> dict:
    """`base` (a to_dict() form) with dotted keys set: {"scheduler.knobs.chunk_size": 256}."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for dotted, value in values.items():
        node = out
        parts = dotted.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            child = dict(child) if isinstance(child, dict) else {}
            node[part] = child
            node = child
        if value is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    return out
