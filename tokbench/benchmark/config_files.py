"""Run configs in files: TOML or JSON written by hand, or the run_config inside a results.json.

`tokbench run --config FILE` reads any of them; a results.json also pins the KV budget that run
resolved, so the replay serves the same steps even where the budget was sized automatically.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokbench.atomic import atomic_write_text
from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.toml_text import to_toml
from tokbench.errors import UserError

RESULTS_SCHEMA = "tokbench.results"


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"--config {path}: not valid TOML ({exc})") from None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"--config {path}: not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None


def _from_results(doc: dict, path: Path) -> dict:
    if "run_config" not in doc:
        raise UserError(f"--config {path}: these results were written before tokbench recorded run configs; "
                        "run again with flags")
    data = json.loads(json.dumps(doc["run_config"]))
    scheduler = data.setdefault("scheduler", {})
    resolved = (doc.get("config") or {}).get("scheduler", {}).get("kv_budget_tokens")
    if scheduler.get("kv_budget_tokens") is None and resolved:
        scheduler["kv_budget_tokens"] = resolved  # the budget that run sized: the replay schedules the same steps
    return data


def read_config_data(path: str | Path) -> dict:
    """The plain-data run config in `path` (TOML, JSON, or a results directory / results.json)."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    if not p.is_file():
        raise UserError(f"--config {path}: no such file")
    try:
        if p.suffix == ".toml":
            return _read_toml(p)
        data = _read_json(p)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--config {path}: cannot read it ({exc})") from None
    if isinstance(data, dict) and data.get("schema") == RESULTS_SCHEMA:
        return _from_results(data, p)
    return data


def load_config(path: str | Path) -> RunConfig:
    return RunConfig.from_dict(read_config_data(path), where=str(path))


def config_toml(config: RunConfig) -> str:
    return to_toml(config.to_dict(), header="tokbench run configuration: tokbench run --config THIS_FILE")


def write_config(config: RunConfig, path: str | Path) -> Path:
    """Write `config` as TOML (.toml) or JSON (anything else), atomically."""
    p = Path(path)
    text = config_toml(config) if p.suffix == ".toml" else json.dumps(config.to_dict(), indent=2) + "\n"
    atomic_write_text(p, text)
    return p
