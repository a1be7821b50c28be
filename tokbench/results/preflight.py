"""Before any work: can the results, reports and gate files be written where the user asked?

    check_writable_dir(out, "--out", need_bytes=estimate)      # a directory tokbench will (re)create
    check_writable_file(path, "--markdown", need_bytes=4096)    # one file

Each raises UserError with one line naming the flag, the path and what is wrong: a file where a
directory is wanted (or the reverse), a parent that cannot be created, no permission (tried by
creating and removing a probe, which also catches read-only file systems and /proc), or less free
space than the expected size. Called before a model loads, so a long benchmark never ends in an
unwritable path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tokbench.errors import UserError

MiB = 1 << 20
SLACK_BYTES = 64 << 10  # file system overhead beyond the estimate: inodes, a results.json


def _existing_ancestor(path: Path, flag: str, shown) -> Path:
    """The nearest ancestor of `path` (absolute) that exists; it must be a directory."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(f"{flag} {shown}: {parent} is a file, not a directory")
            return parent
    raise UserError(f"{flag} {shown}: no part of the path exists")  # unreachable for absolute paths


def _probe(directory: Path, flag: str, path: Path) -> None:
    """Create and remove a directory in `directory`: the only sure test of writability (root ignores
    permission bits, and a read-only mount or /proc looks writable to os.access)."""
    try:
        probe = tempfile.mkdtemp(prefix=".tokbench-probe-", dir=directory)
        os.rmdir(probe)
    except OSError as exc:
        raise UserError(f"{flag} {path}: cannot write in {directory} ({exc.strerror or exc})") from None


def _room(directory: Path, flag: str, path: Path, need_bytes: int) -> None:
    if need_bytes <= 0:
        return
    free = shutil.disk_usage(directory).free
    need = need_bytes + SLACK_BYTES
    if free < need:
        raise UserError(f"{flag} {path}: only {_size(free)} free on its file system, and about {_size(need)} "
                        "will be written; free some space or choose another place")


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n / 1024:.0f} KiB"


def check_writable_dir(path: str | os.PathLike, flag: str, need_bytes: int = 0) -> None:
    """`path` can be created (or replaced) as a directory holding about `need_bytes`."""
    p = Path(os.path.abspath(path))
    if p.exists() and not p.is_dir():
        raise UserError(f"{flag} {path}: is a file, not a directory")
    where = p if p.exists() else _existing_ancestor(p, flag, path)
    if where == p:  # it exists: results are written beside it and swapped in, reports written into it
        where = p.parent if p.parent != p else p
    _probe(where, flag, Path(path))
    if p.is_dir():
        _probe(p, flag, Path(path))
    _room(where, flag, Path(path), need_bytes)


def check_writable_file(path: str | os.PathLike, flag: str, need_bytes: int = 0) -> None:
    """`path` can be written as a file (created or replaced) of about `need_bytes`."""
    p = Path(os.path.abspath(path))
    if p.is_dir():
        raise UserError(f"{flag} {path}: is a directory, not a file")
    where = _existing_ancestor(p, flag, path)
    _probe(where, flag, Path(path))
    _room(where, flag, Path(path), need_bytes)


def results_size_estimate(*, num_runs: int, num_requests: int, output_tokens: int, prompt_tokens: int,
                          save_outputs: bool, fmt: str = "parquet") -> int:
    """A generous guess (bytes) of a results directory, from per-row sizes measured on real results:
    per run a row per request, per output token, and per step (a step every few output tokens)."""
    per_request, per_token = (80, 40) if fmt == "parquet" else (120, 120)
    per_run = per_request * num_requests + per_token * output_tokens
    outputs = 7 * (prompt_tokens + output_tokens) * num_runs if save_outputs else 0  # token ids as JSON text
    return num_runs * per_run + outputs + (16 << 10)
