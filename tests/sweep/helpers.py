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

# Three points of six requests arriving over about 1.2 s each (rate_scale 0.2 of 24 req/s): slow enough to
# be caught mid-point.
SLOW = """
[base]
workload.spec = TINY_ONLINE
warmup = false
model.threads = 1
workload.rate_scale = 0.2
[grid]
strategies = ["continuous", "static-padded", "tokenmaxxing"]
"""

# The known-capacity sweep (tests/sweep/test_capacity.py explains the arithmetic): steps of 40 ms, one
# request per step, 20 requests at a constant 10 req/s, TTFT SLO 80 ms for 90% of requests.
STEP_S = 0.04
KNOWN = 17 / (16 * STEP_S) / 10  # rate_scale at capacity: 2.65625
TOLERANCE = 0.05
CAPACITY = f"""
[base]
workload.spec = ONE_STEP
warmup = false
strategies = ["continuous"]
scheduler.max_num_seqs = 1
model.threads = 1

[capacity]
slo = {{ ttft_ms = {2 * STEP_S * 1000:g} }}
attainment = 0.9
tolerance = {TOLERANCE}
"""


def manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())


def statuses(root: Path) -> dict[str, str]:
    return {p["id"]: p["status"] for p in manifest(root)["points"]}
