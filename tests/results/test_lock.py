"""One writer per results directory: a second refuses with one line naming the holder (or waits
with --wait); two writers racing never leave a directory mixed; a killed holder blocks nobody."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from results.helpers import run_cli, synthetic_results
from tokbench.errors import UserError
from tokbench.results import load_results
from tokbench.results.lock import lock_path

REPO = Path(__file__).parents[2]
TINY_RUN = ["run", "--workload", "tiny", "--num-requests", "2", "--max-model-len", "128", "--threads", "1",
            "--no-warmup", "-s", "tokenmaxxing"]

HOLDER = textwrap.dedent("""
    import sys, time
    from tokbench.results.lock import output_lock
    with output_lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def _hold(out: Path, seconds: float) -> subprocess.Popen:
    """A process holding the lock of `out` for `seconds` (returns once it holds it)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out), str(seconds)], stdout=subprocess.PIPE,
                            text=True, cwd=REPO)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_refuses_naming_the_holder(tmp_path, capsys):
    out = tmp_path / "out"
    holder = _hold(out, 60)
    try:
        code, _, err = run_cli(capsys, *TINY_RUN, "--out", out)
    finally:
        holder.kill()
        holder.wait()
    assert code == 2
    assert err.count("\n") == 1, err
    assert f"--out {out}: another tokbench run is writing it: pid {holder.pid} (" in err
    assert "started 20" in err and "pass --wait" in err
    assert not out.exists()


def test_wait_waits_for_the_holder_then_writes(tmp_path, capsys):
    out = tmp_path / "out"
    holder = _hold(out, 1.5)
    try:
        code, _, err = run_cli(capsys, *TINY_RUN, "--out", out, "--wait")
    finally:
        holder.wait()
    assert code == 0, err
    assert f"waiting for pid {holder.pid}" in err
    assert load_results(out).run_names == ["tokenmaxxing"]
    assert not lock_path(out).exists()


def test_the_library_writer_refuses_too(tmp_path):
    out = tmp_path / "out"
    holder = _hold(out, 60)
    try:
        with pytest.raises(UserError, match=f"pid {holder.pid}"):
            synthetic_results(out, {"a": {}})
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_blocks_nobody(tmp_path):
    out = tmp_path / "out"
    holder = _hold(out, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    synthetic_results(out, {"a": {}})  # the kernel dropped the dead process's lock
    assert load_results(out).run_names == ["a"]


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, "tests")
    from results.helpers import synthetic_results
    from tokbench.results.lock import output_lock
    out, name = sys.argv[1], sys.argv[2]
    for i in range(6):
        with output_lock(out, wait=True):
            synthetic_results(out, {f"{name}-{i}": {}, f"{name}-{i}-b": {}})
""")


def test_two_concurrent_writers_never_mix_a_directory(tmp_path):
    out = tmp_path / "out"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(out), name], cwd=REPO) for name in ("x", "y")]
    deadline = time.monotonic() + 120
    while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
        if (out / "results.json").exists():
            try:
                names = load_results(out).run_names
            except UserError as exc:  # where renameat2 is missing the swap takes two renames: gone for an instant
                assert "no results found" in str(exc), exc
                continue
            assert names[1] == f"{names[0]}-b", names  # one writer's results, whole
    assert [w.wait() for w in writers] == [0, 0]
    assert load_results(out).run_names[0].split("-")[0] in ("x", "y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
