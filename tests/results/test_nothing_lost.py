"""A results directory is replaced whole or not at all: a full disk part way through a write, at
any byte, leaves the previous results loading as they were, and `tokbench run` still prints its
summaries, says in one line what happened, and exits non-zero."""

from __future__ import annotations

import errno
import json
import subprocess
from pathlib import Path

import pytest

from results.helpers import run_cli, synthetic_results, tmpfs
from tokbench.results import load_results
from tokbench.results import writer as writer_module
from tokbench.results.staging import recover

TINY_RUN = ["run", "--workload", "tiny", "--num-requests", "2", "--max-model-len", "128", "--threads", "1",
            "--no-warmup", "-s", "static-padded", "-s", "tokenmaxxing"]


class _FullDisk:
    """A file that takes `room` more bytes (shared by every file opened), then fails as a full disk does."""

    def __init__(self, path: Path, budget: list[int]):
        self._fh = open(path, "xb")
        self._budget = budget

    def write(self, data: bytes) -> int:
        take = min(len(data), self._budget[0])
        self._fh.write(data[:take])
        self._budget[0] -= take
        if take < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return take

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def _fail_after(monkeypatch, nbytes: int) -> None:
    budget = [nbytes]
    monkeypatch.setattr(writer_module, "_open_new", lambda path: _FullDisk(path, budget))


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.35, 0.6, 0.85, 0.999])
def test_a_disk_that_fills_at_any_byte_leaves_the_previous_results(tmp_path, monkeypatch, fraction):
    total = sum(len(b) for b in _snapshot(synthetic_results(tmp_path / "probe", {"new": {}}).parent).values())
    out = tmp_path / "out"
    synthetic_results(out, {"old": {"output_throughput": 7.0}})
    before = _snapshot(out)
    _fail_after(monkeypatch, int(fraction * total))
    with pytest.raises(OSError):
        synthetic_results(out, {"new": {"output_throughput": 9.0}})
    assert _snapshot(out) == before
    assert load_results(out).run_names == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "probe"]  # no half-written sibling, no lock file


def test_run_on_a_full_disk_prints_summaries_keeps_old_results_and_exits_1(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, *TINY_RUN, "--out", out)
    assert code == 0, err
    before = _snapshot(out)
    _fail_after(monkeypatch, 5000)  # the new run's first table fills the disk
    code, stdout, err = run_cli(capsys, *TINY_RUN, "--out", out)
    assert code == 1
    assert "static-padded" in stdout and "tokenmaxxing" in stdout and "output tok/s" in stdout  # the summaries
    errors = [line for line in err.splitlines() if "error" in line]
    assert errors == [f"tokbench: error: could not write the results to {out} (No space left on device); "
                      f"{out} is unchanged"], err
    assert "Traceback" not in err
    assert _snapshot(out) == before


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs, where the machine lets us mount one (root, a kernel that allows it)."""
    with tmpfs(tmp_path / "disk", "size=256k") as mount:
        yield mount


def test_run_on_a_really_full_disk_keeps_the_old_results(small_disk, capsys, monkeypatch):
    out = small_disk / "out"
    code, _, err = run_cli(capsys, *TINY_RUN, "--out", out)
    assert code == 0, err
    before = _snapshot(out)
    free = int(subprocess.run(["df", "-B1", "--output=avail", str(small_disk)], capture_output=True,
                              text=True).stdout.split()[-1])
    (small_disk / "filler").write_bytes(b"\0" * (free - 12 * 1024))  # room for a table, not for a run
    import tokbench.cli.run_main as run_main

    monkeypatch.setattr(run_main, "_expected_bytes", lambda checked: 0)  # past the room check: fill while writing
    code, stdout, err = run_cli(capsys, *TINY_RUN, "--out", out)
    assert code == 1
    assert "output tok/s" in stdout
    assert "No space left on device" in err and f"{out} is unchanged" in err and "Traceback" not in err
    assert _snapshot(out) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "out"]


def test_the_room_check_refuses_a_run_that_cannot_fit_before_the_model_loads(small_disk, capsys, monkeypatch):
    (small_disk / "filler").write_bytes(b"\0" * (200 * 1024))
    import tokbench.benchmark.model_cache as model_cache

    monkeypatch.setattr(model_cache, "load_model", lambda *a, **k: pytest.fail("the model was loaded"))
    code, _, err = run_cli(capsys, *TINY_RUN, "--out", small_disk / "out")
    assert code == 2
    assert err.startswith(f"tokbench: error: --out {small_disk / 'out'}: only ") and "free on its file system" in err
    assert err.count("\n") == 1


def test_a_writer_killed_between_its_renames_is_undone_by_the_next(tmp_path):
    out = tmp_path / "out"
    synthetic_results(out, {"old": {}})
    out.rename(tmp_path / "out.old-99999")  # killed after moving the old results aside...
    (tmp_path / "out.tmp-99999").mkdir()  # ...with its new ones never swapped in
    recover(out)
    assert load_results(out).run_names == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_digests_are_of_the_bytes_written_not_of_the_files_read_back(tmp_path, monkeypatch):
    """A table replaced between its write and results.json (another writer, a disk error) is refused."""
    out = tmp_path / "out"
    put = writer_module.put_file

    def put_then_clobber(directory, name, data):
        digest = put(directory, name, data)
        if name.startswith("steps."):
            (directory / name).write_bytes(data[: len(data) // 2])
        return digest

    monkeypatch.setattr(writer_module, "put_file", put_then_clobber)
    synthetic_results(out, {"a": {}})
    from tokbench.errors import UserError

    with pytest.raises(UserError, match="steps.parquet: its content does not match"):
        load_results(out)


def test_results_replace_only_a_results_directory(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, err = run_cli(capsys, *TINY_RUN, "--out", out)
    assert code == 2
    assert "holds files that are not tokbench results (notes.txt)" in err
    assert (out / "notes.txt").read_text() == "keep me"


def test_results_say_whether_they_are_complete(tmp_path):
    res = load_results(synthetic_results(tmp_path / "a", {"a": {}}))
    assert res.complete and json.loads((tmp_path / "a" / "results.json").read_text())["complete"] is True


def test_a_link_to_a_results_directory_stays_a_link(tmp_path):
    target = tmp_path / "run-1"
    synthetic_results(target, {"old": {}})
    (tmp_path / "latest").symlink_to(target)
    synthetic_results(tmp_path / "latest", {"new": {}})
    assert (tmp_path / "latest").is_symlink()
    assert load_results(target).run_names == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run-1"]
