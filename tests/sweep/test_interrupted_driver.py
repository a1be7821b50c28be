"""A driver stopped by Ctrl-C keeps its finished points; one killed with SIGKILL loses none either; the
next run does only what is missing."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sweep.helpers import SLOW, write_spec
from tokbench.results import load_results
from tokbench.sweep import LocalExecutor, load_spec, run_sweep
from tokbench.sweep.store import SweepStore

# Six points, each taking a second or more.
SPEC = SLOW + '"scheduler.max_num_seqs" = [2, 8]\n'


def _start(spec: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tokbench", "sweep", str(spec), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _complete_points(out: Path) -> set[str]:
    try:
        doc = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return set()
    return {p["id"] for p in doc["points"] if p["status"] == "complete"}


def _wait_for(proc: subprocess.Popen, out: Path, count: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while len(_complete_points(out)) < count:
        assert proc.poll() is None, f"the sweep ended early: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)


def test_ctrl_c_then_sigkill_then_resume_runs_only_the_missing_points(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    out = tmp_path / "sweep"
    total = 6

    proc = _start(spec, out)
    _wait_for(proc, out, 1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    doc = json.loads((out / "manifest.json").read_text())
    stopped = [p for p in doc["points"] if p["status"] != "complete"]
    assert all(p["status"] == "pending" for p in stopped)  # nothing left "running"
    assert any(p["failures"] == ["stopped by Ctrl-C or SIGTERM"] for p in stopped)
    kept = _complete_points(out)
    assert 1 <= len(kept) < total

    proc = _start(spec, out)
    _wait_for(proc, out, len(kept) + 1)
    os.kill(proc.pid, signal.SIGKILL)  # no handler, no cleanup: the manifest is as the last write left it
    proc.wait(timeout=30)
    store = SweepStore(out)
    complete = {pid for pid in _complete_points(out) | kept if store.complete(pid) is not None}
    assert kept <= complete and len(complete) < total
    files = {pid: (out / "points" / pid / "results.json").read_bytes() for pid in complete}

    outcome = run_sweep(load_spec(spec), out, LocalExecutor())
    assert outcome.reused == len(complete)
    assert outcome.ran == total - len(complete)
    assert all(r.status == "complete" for r in outcome.records) and len(outcome.records) == total
    for pid, text in files.items():  # what was complete was not run again
        assert (out / "points" / pid / "results.json").read_bytes() == text
    for r in outcome.records:
        load_results(out / r.dir)
