"""Every malformed file ends in one clear line naming the file (and row/column where there is one),
through the library and through the command line; never a traceback."""

import contextlib
import io
import subprocess
import sys

import pytest

from .malformed_corpus import CASES, write_corpus
from tokbench.errors import UserError
from tokbench.workload import load_workload


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("malformed"))


def test_corpus_is_large_enough():
    assert len(CASES) >= 20


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_load_workload_rejects_with_one_line(corpus, index):
    path, expected = corpus[index]
    with pytest.raises(UserError) as info:
        load_workload(str(path), vocab_size=1000, max_model_len=2048)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert expected in message


def _cli(argv: list[str]) -> tuple[int, str]:
    """The real entry point, in-process: exit code and stderr."""
    from tokbench.cli.app import main

    stderr = io.StringIO()
    old_argv = sys.argv
    sys.argv = ["tokbench", *argv]
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            with pytest.raises(SystemExit) as info:
                main()
    finally:
        sys.argv = old_argv
    return info.value.code, stderr.getvalue()


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_profile_command_rejects_with_one_line(corpus, index):
    path, expected = corpus[index]
    code, stderr = _cli(["profile", str(path)])
    assert code == 2
    assert stderr.startswith("tokbench: error: ") and stderr.count("\n") == 1
    assert expected in stderr and "Traceback" not in stderr


def test_profile_subprocess_exit_code(corpus):
    # One real process (the interpreter's own exit path); the in-process test above covers the corpus.
    path = next(p for p, _ in corpus if p.name == "truncated.csv.gz")
    done = subprocess.run([sys.executable, "-m", "tokbench", "profile", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("tokbench: error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.slow  # covered in-process above; this is the full corpus through real processes
@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_profile_subprocess_full_corpus(corpus, index):
    path, expected = corpus[index]
    done = subprocess.run([sys.executable, "-m", "tokbench", "profile", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr
