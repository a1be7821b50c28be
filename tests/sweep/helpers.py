"""Sweep specs for the tests, written into a temporary directory; each point a few tiny requests."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "data"
TINY_ONLINE = DATA / "tiny-online.json"
ONE_STEP = DATA / "one-step-constant.json"


def write_spec(directory: Path, text: str, name: str = "sweep.toml") -> Path:
    path = directory / name
    path.write_text(text.replace("TINY_ONLINE", json.dumps(str(TINY_ONLINE))).replace("ONE_STEP",
                                                                                       json.dumps(str(ONE_STEP))))
    return path


# Two strategies x two max_num_seqs x two rates: eight points of six requests each.
GRID = """
[base]
workload.spec = TINY_ONLINE
warmup = false
model.threads = 1
save_outputs = true

[grid]
strategies = ["continuous", "static-padded"]
"scheduler.max_num_seqs" = [2, 8]
"workload.rate_scale" = [1.0, 4.0]
"""


def manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())


def statuses(root: Path) -> dict[str, str]:
    return {p["id"]: p["status"] for p in manifest(root)["points"]}
