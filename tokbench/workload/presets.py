"""Named workload presets: JSON specs shipped in the `tokbench.workload.preset_files` package (workloads/)."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from tokbench.errors import UserError


def _preset_dir():
    return files("tokbench.workload.preset_files")


def list_presets() -> list[str]:
    """Names accepted by `--workload`, sorted."""
    return sorted(p.name[:-5] for p in _preset_dir().iterdir() if p.name.endswith(".json"))


def read_spec_file(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read workload spec: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})") from None


def preset_spec(name: str) -> dict:
    """The spec of a named preset; an unknown name lists the known ones."""
    resource = _preset_dir() / f"{name}.json"
    if not resource.is_file():
        raise UserError(
            f"{name}: not a file and not a preset (presets: {', '.join(list_presets())}; see `tokbench workloads`)"
        )
    spec = json.loads(resource.read_text(encoding="utf-8"))
    spec.setdefault("name", name)
    return spec


def looks_like_spec_file(path: Path) -> bool:
    """A synthetic spec is one JSON object with lengths; ShareGPT dumps are lists, JSONL has many lines."""
    if path.suffix.lower() != ".json":
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip()
    if not head.startswith(b"{"):
        return False
    try:
        data = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False  # several objects, one a line: a JSONL trace named .json
    # Any of the spec's own keys: a spec with a mistyped key still gets the spec's error messages.
    return isinstance(data, dict) and bool({"num_requests", "prompt", "output"} & set(data))
