"""JSON Lines reading: pyarrow's fast reader, or a line-by-line pass that can name the bad line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.json as pajson

from tokbench.errors import UserError
from tokbench.workload.traces.source_file import (
    DECOMPRESS_ERRORS,
    corrupt_compression_error,
    iter_lines,
    open_stream,
)

BLOCK_BYTES = 16 << 20
PY_BATCH_ROWS = 200_000


def jsonl_keys(path: Path, text: str) -> list[str]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                first = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(first, dict):
                raise UserError(f"{path}: line {number}: expected a JSON object per line")
            return list(first)
    raise UserError(f"{path}: file is empty")


def _fast(path: Path, wanted: dict[str, str], on_read) -> Iterator[tuple[dict[str, pa.Array], int]]:
    first_row = 0
    with open_stream(path, on_read) as stream:
        reader = pajson.open_json(stream, read_options=pajson.ReadOptions(block_size=BLOCK_BYTES))
        for batch in reader:
            names = batch.schema.names
            yield (
                {
                    name: batch.column(names.index(col)) if col in names else pa.nulls(batch.num_rows)
                    for name, col in wanted.items()
                },
                first_row,
            )
            first_row += batch.num_rows


def _cell(value):
    # Strings keep non-numbers visible to the row checks; lists stay lists (hash_ids).
    return value if isinstance(value, list) or value is None else str(value)


def _slow(
    path: Path, wanted: dict[str, str], skip_bad_rows: bool, on_bad_line: Callable[[], None]
) -> Iterator[tuple[dict[str, pa.Array], int]]:
    rows: dict[str, list] = {name: [] for name in wanted}
    first_row = 0
    for number, raw in enumerate(iter_lines(path), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            problem = None if isinstance(record, dict) else f"expected a JSON object, got {type(record).__name__}"
        except json.JSONDecodeError as exc:
            problem = f"not valid JSON ({exc.msg})"
        except UnicodeDecodeError as exc:
            problem = f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not valid UTF-8"
        if problem is not None:
            if skip_bad_rows:
                on_bad_line()
                continue
            raise UserError(f"{path}: line {number}: {problem}; pass --skip-bad-rows to drop such lines")
        for name, column in wanted.items():
            rows[name].append(_cell(record.get(column)))
        if len(rows["prompt"]) == PY_BATCH_ROWS:
            yield _arrays(rows), first_row
            first_row += PY_BATCH_ROWS
            rows = {name: [] for name in wanted}
    if rows["prompt"]:
        yield _arrays(rows), first_row


def _arrays(rows: dict[str, list]) -> dict[str, pa.Array]:
    out = {}
    for name, values in rows.items():
        try:
            out[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed lists and scalars: let the checks flag them
            out[name] = pa.array([json.dumps(v) if isinstance(v, list) else v for v in values], pa.string())
    return out


def jsonl_batches(
    path: Path, wanted: dict[str, str], *, skip_bad_rows: bool, on_bad_line: Callable[[], None], on_read
) -> Iterator[tuple[dict[str, pa.Array], int]]:
    """Batches of the wanted keys. The slow path runs when Arrow cannot read the file as a table
    (a broken line, mixed types): it names the line or skips it."""
    try:
        batches = list(_fast(path, wanted, on_read))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        batches = None
    except DECOMPRESS_ERRORS as exc:
        raise corrupt_compression_error(path, exc) from None
    yield from batches if batches is not None else _slow(path, wanted, skip_bad_rows, on_bad_line)
