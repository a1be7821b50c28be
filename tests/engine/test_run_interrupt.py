"""SIGINT and SIGTERM after the first strategy finished: its results are kept (marked incomplete),
one line says what was kept and where, and the exit code is 130 / 143."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tokbench.interrupts import Interrupted, signals_raise, uninterrupted
from tokbench.results import load_results

REPO = Path(__file__).parents[2]
SLOW = REPO / "tests" / "engine" / "data" / "slow_strategy.py"


def _first_strategy_kept(out: Path) -> bool:
    try:
        doc = json.loads((out / "results.json").read_text())
    except (OSError, ValueError):
        return False
    return doc.get("complete") is False and [r["name"] for r in doc["runs"]] == ["static-padded"]


def _start(out: Path) -> subprocess.Popen:
    args = ["run", "--workload", "tiny", "--num-requests", "4", "--max-model-len", "128", "--threads", "1",
            "--no-warmup", "-s", "static-padded", "-s", f"{SLOW}:Slow", "--out", str(out)]
    return subprocess.Popen([sys.executable, "-m", "tokbench", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_keeps_the_finished_strategies(tmp_path, signum, code):
    out = tmp_path / "out"
    proc = _start(out)
    try:
        deadline = time.monotonic() + 180
        while not _first_strategy_kept(out):  # written as static-padded finished; slow is running now
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "static-padded never finished"
            time.sleep(0.1)
        os.kill(proc.pid, signum)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    last = err.strip().splitlines()[-1]
    assert last == (f"tokbench: interrupted ({signal.Signals(signum).name}): {out} keeps the finished "
                    f"static-padded (marked incomplete; {out / 'results.json'})"), err
    assert "Traceback" not in err
    res = load_results(out)
    assert not res.complete and res.run_names == ["static-padded"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging directory, no lock file left


def test_a_signal_during_a_swap_waits_for_it_to_end():
    with signals_raise():
        with pytest.raises(Interrupted) as caught:
            with uninterrupted():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # the handler runs here, and holds the signal
                finished = True
        assert finished and caught.value.exit_code == 143
