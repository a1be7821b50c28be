"""One writer per results directory: an advisory lock file beside it, naming who holds it.

    with output_lock("results/latest", wait=False):   # UserError if another process holds it
        ...write results/latest...

The lock is `.NAME.lock` in the directory's parent (the directory itself is replaced whole when
results are written, so it cannot hold its own lock). It holds the holder's pid, command line and
start time, for the line a refused second run prints. The file is removed on release; a process
that locked a file someone has just removed notices (the path names another file, or none) and
locks again. The kernel drops the lock when its holder dies, so a killed run never blocks the next.
A process may take the same lock again (the CLI holds it for the whole run, the writer takes it
for each write): the inner take is free.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from tokbench.errors import UserError

_held: dict[Path, int] = {}  # lock file -> how many times this process holds it


def lock_path(out_dir: str | os.PathLike) -> Path:
    out = Path(os.path.realpath(out_dir))  # one lock however the directory is named (links followed)
    return out.parent / f".{out.name}.lock"


def describe_holder(path: Path) -> str:
    """'pid 123 (tokbench run ...), started 2025-01-01 12:00:00 UTC', or what is known of it."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {info['pid']} ({info['command']}), started {info['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (it has not said who yet)"


def _open_locked(path: Path, wait: bool) -> int | None:
    """A descriptor holding the lock on the file now at `path`; None if another holds it (wait=False)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed the file as we waited: lock the one there now


def _command() -> str:
    """This process's command line as a user would recognise it: 'tokbench run ...', 'python -c ...'."""
    first = Path(sys.argv[0]).name
    if first == "__main__.py":  # python -m tokbench
        first = Path(sys.argv[0]).parent.name
    elif first in ("-c", "-m", ""):
        first = f"python {first}".strip()
    return " ".join([first, *sys.argv[1:]])[:300]


def _write_holder(fd: int) -> None:
    info = {"pid": os.getpid(), "command": _command(),
            "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
    except OSError:  # a full disk: the lock holds all the same, only a refused run cannot say by whom
        pass


@contextmanager
def output_lock(out_dir: str | os.PathLike, *, wait: bool = False, flag: str = "--out",
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of `out_dir` for the block. Another holder: UserError naming it, or (wait=True)
    wait for it, telling `on_wait` once who is awaited."""
    path = lock_path(out_dir)
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _open_locked(path, wait=False)
        if fd is None and wait:
            if on_wait is not None:
                on_wait(f"waiting for {describe_holder(path)}, which is writing {out_dir}")
            started = time.monotonic()
            fd = _open_locked(path, wait=True)
            if on_wait is not None:
                on_wait(f"waited {time.monotonic() - started:.0f} s for {out_dir}")
    except OSError as exc:
        raise UserError(f"{flag} {out_dir}: cannot lock it for writing ({exc.strerror or exc})") from None
    if fd is None:
        raise UserError(f"{flag} {out_dir}: another tokbench run is writing it: {describe_holder(path)}; "
                        "wait for it to finish, pass --wait, or choose another directory")
    _held[path] = 1
    try:
        _write_holder(fd)
        yield
    finally:
        del _held[path]
        try:
            os.unlink(path)  # while still locked: a waiter then sees the file is gone and retries
        except OSError:
            pass
        os.close(fd)
