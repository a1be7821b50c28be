"""Replace a results directory whole: write a new sibling, then swap it in with renames.

    with staged_directory("results/latest") as stage:   # results/latest.tmp-<pid>
        ...write every file into stage...
    # now results/latest is the new directory; the old one is gone

Until the block ends without error the previous directory is untouched, so a full disk, a crash
or an interruption while writing leaves the previous results as they were. The swap exchanges the
two directories in one step where Linux can (renameat2: a reader sees the old or the new, never
neither), else renames the old one aside (NAME.old-<pid>) and the new one in, putting the old one
back if that fails; then the old one is removed. Signals are held during the swap
(tokbench/interrupts.py).
Callers hold the directory's lock (results/lock.py), so nobody else writes the same siblings.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tokbench.errors import UserError
from tokbench.interrupts import uninterrupted
from tokbench.results.format import OUTPUTS_FILE, RESULTS_FILE, TABLES


def _sibling(out: Path, kind: str, pid: int | None = None) -> Path:
    return out.parent / f"{out.name}.{kind}-{os.getpid() if pid is None else pid}"


def is_results_file_name(name: str) -> bool:
    """A file a results directory may hold: what the writer writes, or a temporary file of atomic.py."""
    written = {RESULTS_FILE, OUTPUTS_FILE, *(f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv"))}
    return name in written or (name.startswith(".") and name.endswith(".tmp"))


def foreign_entries(out: Path) -> list[str]:
    """Entries of an existing directory that tokbench did not write (replacing it would delete them)."""
    return sorted(p.name for p in out.iterdir() if not (p.is_file() and is_results_file_name(p.name)))


def check_replaceable(out: Path, flag: str = "--out") -> None:
    """UserError unless `out` is absent, an empty directory, or a results directory."""
    if not out.exists():
        return
    if not out.is_dir():
        raise UserError(f"{flag} {out}: is a file, not a directory")
    foreign = foreign_entries(out)
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise UserError(f"{flag} {out}: holds files that are not tokbench results ({', '.join(foreign[:3])}{more}); "
                        "results replace their directory whole, so choose an empty or new directory")


def recover(out: Path) -> None:
    """Tidy what a killed writer left beside `out`: an old directory it had renamed aside goes back
    (when `out` itself is missing), and unfinished new ones are removed. Call it holding the lock."""
    leftovers = sorted(out.parent.glob(f"{out.name}.old-*")) if out.parent.is_dir() else []
    if leftovers and not out.exists():
        os.rename(leftovers.pop(), out)
    for stale in [*leftovers, *out.parent.glob(f"{out.name}.tmp-*")] if out.parent.is_dir() else []:
        shutil.rmtree(stale, ignore_errors=True)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(stage: Path, out: Path) -> None:
    """Readers see the old directory, then the new one; never none (where renameat2 exists)."""
    old = _sibling(out, "old")
    with uninterrupted():
        if out.exists() and _exchange(stage, out):
            shutil.rmtree(stage, ignore_errors=True)  # the old directory, now under the staging name
            return
        had_old = out.exists()
        if had_old:
            os.rename(out, old)
        try:
            os.rename(stage, out)
        except BaseException:
            if had_old:
                os.rename(old, out)
            raise
    if had_old:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_directory(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield a new empty sibling of `out_dir`; it becomes `out_dir` when the block succeeds.
    A symbolic link is followed: the directory it names is replaced, the link stays."""
    out = Path(os.path.realpath(out_dir))
    check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    stage = _sibling(out, "tmp")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        yield stage
        _swap_in(stage, out)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
