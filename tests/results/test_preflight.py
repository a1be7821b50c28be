"""Where results, reports and markdown go is checked before any work: one line naming the flag and
the problem, exit 2, nothing written (it used to be a traceback after the whole benchmark)."""

from __future__ import annotations

import pytest

import tokbench.benchmark.model_cache as model_cache
from results.helpers import FIXTURE, run_cli, tmpfs
from tokbench.errors import UserError
from tokbench.results.preflight import check_writable_dir, check_writable_file

RUN = ["run", "--workload", "tiny", "--num-requests", "2", "--threads", "1", "--no-warmup", "-s", "tokenmaxxing"]


@pytest.fixture
def afile(tmp_path):
    path = tmp_path / "afile"
    path.write_text("not a directory")
    return path


@pytest.fixture
def read_only_dir(tmp_path):
    """A read-only file system (root ignores permission bits, so a chmod would prove nothing)."""
    with tmpfs(tmp_path / "ro", "ro,size=64k") as mount:
        yield mount


def _cases(afile):
    return {
        "a file": (afile, "is a file, not a directory"),
        "below a file": (afile / "sub", f"{afile} is a file, not a directory"),
        "in /proc": ("/proc/tokbench-results", "cannot write in /proc"),
    }


@pytest.mark.parametrize("case", ["a file", "below a file", "in /proc"])
def test_run_refuses_an_unwritable_out_before_the_model_loads(afile, capsys, monkeypatch, case):
    path, why = _cases(afile)[case]
    monkeypatch.setattr(model_cache, "load_model", lambda *a, **k: pytest.fail("the model was loaded"))
    code, _, err = run_cli(capsys, *RUN, "--out", path)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"tokbench: error: --out {path}: ") and why in err


@pytest.mark.parametrize("case", ["a file", "below a file", "in /proc"])
def test_report_refuses_an_unwritable_out_dir_before_reading(afile, capsys, case):
    path, why = _cases(afile)[case]
    code, _, err = run_cli(capsys, "report", FIXTURE, "--out-dir", path)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"tokbench: error: --out-dir {path}: ") and why in err


def test_compare_refuses_an_unwritable_markdown_before_comparing(afile, tmp_path, capsys):
    for path, why in [(afile / "x.md", f"{afile} is a file, not a directory"), (tmp_path, "is a directory, not a file"),
                      ("/proc/x.md", "cannot write in /proc")]:
        code, out, err = run_cli(capsys, "compare", FIXTURE, FIXTURE, "--markdown", path)
        assert code == 2 and err.count("\n") == 1 and out == "", err
        assert err.startswith(f"tokbench: error: --markdown {path}: ") and why in err


def test_a_read_only_file_system_is_refused_by_every_writer(read_only_dir, capsys):
    for args, flag in [([*RUN, "--out"], "--out"), (["report", FIXTURE, "--out-dir"], "--out-dir"),
                       (["compare", FIXTURE, FIXTURE, "--markdown"], "--markdown")]:
        target = read_only_dir / "x"
        code, _, err = run_cli(capsys, *args, target)
        assert code == 2, err
        assert err == f"tokbench: error: {flag} {target}: cannot write in {read_only_dir} (Read-only file system)\n"


def test_the_helpers_check_room(tmp_path):
    check_writable_dir(tmp_path / "new" / "deep", "--out", need_bytes=1024)  # creatable, room: fine
    check_writable_file(tmp_path / "new" / "x.xml", "--junit", need_bytes=1024)
    assert not (tmp_path / "new").exists()  # checking creates nothing
    with pytest.raises(UserError, match=r"^--junit .*x.xml: only .* free on its file system, and about .* will be"):
        check_writable_file(tmp_path / "x.xml", "--junit", need_bytes=1 << 62)
