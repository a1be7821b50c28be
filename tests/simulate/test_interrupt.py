"""Ctrl-C (SIGINT to the whole process group) or SIGTERM to a simulation running in worker
processes: one line, exit 130 / 143, no worker left running, no scratch directory left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]


def _leftovers(tmp: Path) -> list[str]:
    shm = Path("/dev/shm")
    mine = [p.name for p in tmp.iterdir() if p.name.startswith("tokbench-simulate-")]
    return mine + ([p.name for p in shm.iterdir() if p.name.startswith("tokbench-simulate-")] if shm.is_dir() else [])


@pytest.mark.parametrize("signum, code, group", [(signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)])
def test_an_interrupted_simulation_stops_its_workers_and_cleans_up(tmp_path, signum, code, group):
    before = set(_leftovers(tmp_path))
    args = ["simulate", "--roofline", "H100-SXM", "--model", "llama-8b", "--workload", "chat",
            "--num-requests", "20000", "--workers", "2", "--out", str(tmp_path / "out")]
    proc = subprocess.Popen([sys.executable, "-m", "tokbench", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "TMPDIR": str(tmp_path)})
    deadline = time.monotonic() + 60
    while not _leftovers(tmp_path) and time.monotonic() < deadline:  # the workers have started
        time.sleep(0.1)
    time.sleep(1.0)
    if group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err[-2000:]
    assert err.strip().splitlines() == [f"tokbench: interrupted ({signal.Signals(signum).name})"]
    assert not (tmp_path / "out").exists()
    assert set(_leftovers(tmp_path)) <= before
    with pytest.raises(ProcessLookupError):  # the whole group is gone: no worker left behind
        os.killpg(proc.pid, 0)
