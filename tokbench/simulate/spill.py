"""A worker's tables handed to its parent through files, not through the pool's pipe.

A 100,000-request strategy's tables are two to three gigabytes: pickled through a pipe they took
about 4 s a gigabyte on the 2-core machine of docs/results, one worker after the other, while the
workers waited. Each numeric column is written as a raw file (in /dev/shm where it has room:
memory, not disk) and the parent maps it back without reading it; the few other columns travel
pickled. A table whose length is known before the run (the tokens table: one row per output
token, whatever the strategy) goes into one file per column shared by every run, each run at its
own place: the parent's combined table is then that file, mapped, with nothing copied.
The files live in a scratch directory the parent removes when the simulation ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

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


def spill(tables: dict[str, pd.DataFrame], directory: str, slot: int, shared_rows: dict[str, int]) -> dict[str, SpilledTable]:
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
            array = np.ascontiguousarray(values.to_numpy())
            path = os.path.join(directory, f"{name}-{i}.bin" if shared else f"{slot}-{name}-{i}.bin")
            start = slot * len(table) if shared else 0
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                os.pwrite(fd, memoryview(array).cast("B"), start * array.itemsize) if len(array) else None
            finally:
                os.close(fd)
            files[column] = SpilledColumn(path, array.dtype.str, start, len(array))
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
def scratch_directory(needed_bytes: int = 0):
    """A directory for spilled tables: in /dev/shm when it has `needed_bytes` free, else the temp dir."""
    usable = SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK)
    where = str(SHARED_MEMORY) if usable and shutil.disk_usage(SHARED_MEMORY).free > needed_bytes else None
    directory = tempfile.mkdtemp(prefix="tokbench-simulate-", dir=where)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
