"""A worker's tables handed to its parent through files, not through the pool's pipe.

A 100,000-request strategy's tables are two to three gigabytes: pickled through a pipe they took
about 4 s a gigabyte on the 2-core machine of docs/results, one worker after the other, while the
workers waited. Each numeric column is written as a raw file (in /dev/shm where it has room:
memory, not disk) and the parent maps it back without reading it; the few other columns travel
pickled. A table whose length is known before the run (the tokens table: one row per output
token, whatever the strategy) goes into one file per column shared by every run, each run at its
own place: the parent's combined table is then that file, mapped, with nothing copied.
A file that finds /dev/shm full (a container's is often 64 MB) goes to the temp directory instead.
The files live in scratch directories the parent removes when the simulation ends.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from tokbench.errors import UserError

SHARED_MEMORY = Path("/dev/shm")


class SpilledColumn(NamedTuple):
    path: str
    dtype: str
    start: int  # the column's first row in the file
    rows: int


class SpilledTable(NamedTuple):
    columns: list[str]  # in the table's order
    files: dict[str, SpilledColumn]  # the plain numeric columns
    others: pd.DataFrame  # the rest, pickled


class Scratch(NamedTuple):
    """Where spilled tables go: `primary` (in /dev/shm when it has room), and `fallback` (the temp
    directory) for a file that found `primary` full."""

    primary: str
    fallback: str


def _write_at(path: str, data: memoryview, offset: int) -> None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while data:  # one pwrite moves at most ~2 GiB
            written = os.pwrite(fd, data, offset)
            data, offset = data[written:], offset + written
    finally:
        os.close(fd)


def _write_column(array: np.ndarray, scratch: Scratch, shared_name: str, own_name: str, start: int) -> SpilledColumn:
    """The column written at row `start` of the shared file, or, where that directory is full, into
    a file of its own in the fallback directory (start 0)."""
    data = memoryview(array).cast("B")
    places = [(os.path.join(scratch.primary, shared_name), start), (os.path.join(scratch.fallback, own_name), 0)]
    for path, at in places if scratch.fallback != scratch.primary else places[:1]:
        try:
            _write_at(path, data, at * array.itemsize)
            return SpilledColumn(path, array.dtype.str, at, len(array))
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    raise UserError(f"simulate: no room to hand a run's tables over ({array.nbytes:,} bytes for one column): "
                    f"{scratch.primary} and {scratch.fallback} are full; free space or use --workers 1")


def spill(tables: dict[str, pd.DataFrame], scratch: Scratch, slot: int, shared_rows: dict[str, int]) -> dict[str, SpilledTable]:
    """Write run number `slot`'s tables; a table of exactly shared_rows[name] rows goes into the
    files that table shares with the other runs, at row slot x shared_rows[name]."""
    out = {}
    for name, table in tables.items():
        shared = shared_rows.get(name) == len(table)
        files, others = {}, []
        for i, column in enumerate(table.columns):
            values = table[column]
            if not (isinstance(values.dtype, np.dtype) and values.dtype != object):
                others.append(column)
                continue
            own = f"{slot}-{name}-{i}.bin"
            files[column] = _write_column(np.ascontiguousarray(values.to_numpy()), scratch,
                                          f"{name}-{i}.bin" if shared else own, own,
                                          slot * len(table) if shared else 0)
        out[name] = SpilledTable(list(table.columns), files, table[others])
    return out


def unspill(runs: list[dict[str, SpilledTable]]) -> list[dict[str, pd.DataFrame]]:
    """Every run's tables again, their numeric columns mapped from the files, not read. A file is
    mapped once and each run's rows are a slice of it, so runs that share a file are one array's
    consecutive pieces (results_doc.labelled_concat then joins them without a copy). Mappings are
    copy-on-write: a change stays in this process, and they outlive the files' removal."""
    mapped: dict[tuple[str, str], np.ndarray] = {}

    def column(c: SpilledColumn) -> np.ndarray:
        if not c.rows:
            return np.empty(0, dtype=c.dtype)
        if (c.path, c.dtype) not in mapped:
            mapped[c.path, c.dtype] = np.memmap(c.path, dtype=c.dtype, mode="c")
        return mapped[c.path, c.dtype][c.start:c.start + c.rows].view(np.ndarray)  # a plain array

    out = []
    for spilled in runs:
        tables = {}
        for name, t in spilled.items():
            columns = {c: column(f) for c, f in t.files.items()}
            columns.update({c: t.others[c] for c in t.others.columns})
            tables[name] = pd.DataFrame({c: columns[c] for c in t.columns}, index=t.others.index, copy=False)
        out.append(tables)
    return out


@contextmanager
def scratch_directory():
    """Directories for spilled tables: in /dev/shm where it can be written (memory, not disk), with
    the temp directory as the fallback for files that find it full; both removed at the end."""
    usable = SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK)
    fallback = tempfile.mkdtemp(prefix="tokbench-simulate-")
    primary = tempfile.mkdtemp(prefix="tokbench-simulate-", dir=str(SHARED_MEMORY)) if usable else fallback
    try:
        yield Scratch(primary, fallback)
    finally:
        for directory in {primary, fallback}:
            shutil.rmtree(directory, ignore_errors=True)
