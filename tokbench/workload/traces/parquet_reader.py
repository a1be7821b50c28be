"""Parquet reading: only the needed columns, one row group batch at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from tokbench.errors import UserError

BATCH_ROWS = 1 << 20


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None


def parquet_names(path: Path) -> list[str]:
    return list(_open(path).schema_arrow.names)


def parquet_batches(path: Path, wanted: dict[str, str], on_read=None) -> Iterator[tuple[dict[str, pa.Array], int]]:
    file = _open(path)
    first_row = 0
    try:
        for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=list(wanted.values())):
            yield {name: batch.column(column) for name, column in wanted.items()}, first_row
            first_row += batch.num_rows
            if on_read is not None:
                on_read(0)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(
            f"{path}: Parquet data is corrupt near row {first_row + 1} ({str(exc).splitlines()[0]})"
        ) from None
