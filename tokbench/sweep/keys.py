"""A RunConfig as flat dotted keys: what a point's id hashes, what a spec diff lists, what a report labels."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tokbench.benchmark.config import RunConfig

# Where the sweep writes is not part of what a point measures.
NOT_HASHED = ("out",)


def flatten(data: dict, prefix: str = "") -> dict[str, Any]:
    """{"scheduler": {"max_num_seqs": 8}} -> {"scheduler.max_num_seqs": 8}; lists and scalars are leaves."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, dotted + "."))
        elif not isinstance(value, dict):
            out[dotted] = value
    return out


def _default_keys() -> dict[str, Any]:
    return flatten(RunConfig().to_dict())


def config_key(config: RunConfig) -> dict[str, Any]:
    """The config's settings that differ from the defaults, as dotted keys (sorted, `out` left out).

    Only differences are kept, so a later tokbench that adds a field with a default keeps every
    existing point's id, and a sweep resumes across the upgrade.
    """
    mine, defaults = flatten(config.to_dict()), _default_keys()
    keys = {k: v for k, v in mine.items() if defaults.get(k, _MISSING) != v}
    keys.update({k: None for k in defaults if k not in mine})  # a default set back to "unset"
    return {k: keys[k] for k in sorted(keys) if k not in NOT_HASHED}


_MISSING = object()


def digest(data: Any, length: int = 12) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def point_id(config: RunConfig) -> str:
    """12 hex digits of SHA-256 over the config's non-default settings: equal configs, equal ids."""
    return digest(config_key(config))


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "+".join(format_value(v) for v in value)
    return str(value)


def short_key(key: str) -> str:
    """'scheduler.max_num_seqs' -> 'max_num_seqs', 'scheduler.knobs.chunk_size' -> 'chunk_size'."""
    return key.rsplit(".", 1)[-1]


def describe_values(values: dict[str, Any]) -> str:
    """'continuous max_num_seqs=8 rate_scale=2' — the strategy bare, other values as NAME=VALUE."""
    parts = [format_value(v) if k == "strategies" else f"{short_key(k)}={format_value(v)}"
             for k, v in values.items()]
    return " ".join(parts) or "(base)"
