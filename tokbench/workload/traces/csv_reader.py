"""Streaming CSV reading with pyarrow: only the needed columns, as strings, in bounded batches."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from tokbench.errors import UserError
from tokbench.workload.traces.source_file import (
    DECOMPRESS_ERRORS,
    corrupt_compression_error,
    first_undecodable_line,
    iter_lines,
    open_stream,
)

BLOCK_BYTES = 16 << 20  # rows are parsed 16 MiB at a time: memory stays flat on 10M-row files
HEADER_LINES = 1
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def header_names(path: Path, text: str, delimiter: str) -> list[str]:
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    names = [n.strip() for n in next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])]
    if len(names) == 1:
        for other, word in _OTHER_DELIMITERS.items():
            if other != delimiter and other in first_line:
                raise UserError(
                    f"{path}: line 1: header {first_line[:80]!r} is {word}-separated, not "
                    f"{'comma' if delimiter == ',' else repr(delimiter)}-separated; "
                    f"pass --delimiter {other!r}"
                )
    return names


def _field_count_error(path: Path, delimiter: str, expected: int) -> UserError:
    # Arrow does not say which line; find it with a (slow, error-path-only) Python pass.
    for number, raw in enumerate(iter_lines(path), start=1):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            continue
        fields = next(csv.reader([line], delimiter=delimiter), [])
        if len(fields) != expected:
            return UserError(
                f"{path}: line {number}: {len(fields)} fields where the header has {expected} "
                f"({line[:60]!r}); pass --skip-bad-rows to drop such rows"
            )
    return UserError(f"{path}: a row has the wrong number of fields")


def csv_batches(
    path: Path,
    wanted: dict[str, str],
    *,
    delimiter: str,
    skip_bad_rows: bool,
    on_bad_line: Callable[[], None],
    on_read: Callable[[int], None] | None,
) -> Iterator[tuple[dict[str, pa.Array], int]]:
    """(columns by canonical name, index of the batch's first data row) for each batch."""
    expected_fields: list[int] = []

    def invalid_row(row) -> str:
        expected_fields.append(row.expected_columns)
        if skip_bad_rows:
            on_bad_line()
            return "skip"
        return "error"

    convert = pacsv.ConvertOptions(
        include_columns=list(wanted.values()),
        strings_can_be_null=True,
        column_types={column: pa.string() for column in wanted.values()},
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=invalid_row)
    first_row = 0
    try:
        with open_stream(path, on_read) as stream:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
                parse_options=parse,
                convert_options=convert,
            )
            for batch in reader:
                yield {name: batch.column(column) for name, column in wanted.items()}, first_row
                first_row += batch.num_rows
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message:
            found = first_undecodable_line(path)
            where = f"line {found[0]}: {found[1]}" if found else "invalid UTF-8 data"
            raise UserError(f"{path}: {where}; save the file as UTF-8") from None
        if expected_fields:
            raise _field_count_error(path, delimiter, expected_fields[0]) from None
        raise UserError(f"{path}: cannot parse as CSV: {message.splitlines()[0]}") from None
    except DECOMPRESS_ERRORS as exc:
        raise corrupt_compression_error(path, exc) from None
