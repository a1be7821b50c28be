"""A worker's tables handed to its parent through files, not through the pool's pipe.

A 100,000-request strategy's tables are two to three gigabytes: pickled through a pipe they took
about 4 s a gigabyte on the 2-core machine of docs/results, one worker after the other, while the
workers waited. Each numeric column is written as a raw .npy file (in /dev/shm where it has room:
memory, not disk) and the parent maps it back without reading it; the few other columns travel
pickled. The files live in a scratch directory the parent removes once the tables are combined.
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


class SpilledTable(NamedTuple):
    columns: list[str]  # in the table's order
    files: dict[str, str]  # numeric column -> its .npy file
    others: pd.DataFrame  # the columns that are not plain numeric arrays


def spill(tables: dict[str, pd.DataFrame], directory: str, prefix: str) -> dict[str, SpilledTable]:
    out = {}
    for name, table in tables.items():
        files, others = {}, []
        for i, column in enumerate(table.columns):
            values = table[column]
            if isinstance(values.dtype, np.dtype) and values.dtype != object:
                path = os.path.join(directory, f"{prefix}-{name}-{i}.npy")
                np.save(path, values.to_numpy(), allow_pickle=False)
                files[column] = path
            else:
                others.append(column)
        out[name] = SpilledTable(list(table.columns), files, table[others])
    return out


def unspill(spilled: dict[str, SpilledTable]) -> dict[str, pd.DataFrame]:
    """The tables again, their numeric columns mapped from the files, not read (copy-on-write: a
    change stays in this process, and the mapping outlives the file's removal)."""
    tables = {}
    for name, t in spilled.items():
        columns = {c: np.load(path, mmap_mode="c") for c, path in t.files.items()}
        columns.update({c: t.others[c] for c in t.others.columns})
        tables[name] = pd.DataFrame({c: columns[c] for c in t.columns}, index=t.others.index, copy=False)
    return tables


@contextmanager
def scratch_directory(needed_bytes: int = 0):
    """A directory for spilled tables: in /dev/shm when it has `needed_bytes` free, else the temp dir."""
    where = None
    if SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK):
        if shutil.disk_usage(SHARED_MEMORY).free > needed_bytes:
            where = str(SHARED_MEMORY)
    directory = tempfile.mkdtemp(prefix="tokbench-simulate-", dir=where)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
