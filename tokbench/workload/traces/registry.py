"""Which format a trace file is in, and reading it with that format's columns."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from tokbench.errors import UserError
from tokbench.workload.options import WorkloadOptions
from tokbench.workload.table import LengthTable
from tokbench.workload.traces.assemble import assemble
from tokbench.workload.traces.azure import AZURE
from tokbench.workload.traces.burstgpt import BURSTGPT
from tokbench.workload.traces.columns import BadRows
from tokbench.workload.traces.csv_reader import HEADER_LINES, csv_batches, header_names
from tokbench.workload.traces.format import TraceFormat
from tokbench.workload.traces.generic import generic_format
from tokbench.workload.traces.jsonl_reader import jsonl_batches, jsonl_keys
from tokbench.workload.traces.lengths_csv import LENGTHS, LENGTHS_TIMED
from tokbench.workload.traces.mooncake import MOONCAKE
from tokbench.workload.traces.parquet_reader import parquet_batches, parquet_names
from tokbench.workload.traces.progress import read_progress
from tokbench.workload.traces.sharegpt import read_sharegpt
from tokbench.workload.traces.source_file import check_text_encoding, logical_suffix, read_head

KNOWN_FORMATS = (AZURE, BURSTGPT, MOONCAKE, LENGTHS_TIMED, LENGTHS)  # detection order: most specific first
FORMAT_NAMES = ("azure", "burstgpt", "mooncake", "lengths", "sharegpt", "generic")


def _layout(path: Path, head: bytes) -> str:
    suffix = logical_suffix(path)
    if head.startswith(b"PAR1") or suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix == ".json" or stripped[:1] in (b"[", b"{"):
        return "json" if stripped[:1] == b"[" else "jsonl"
    return "csv"


def _header_place(layout: str) -> str:
    # Where the column names live: a CSV header or the first JSON line, or a Parquet schema.
    return "schema" if layout == "parquet" else "line 1"


def _one_json_object(path: Path, head: bytes) -> bool:
    """A .json file holding one object (a mistyped spec, a wrong dump), not JSON Lines."""
    if logical_suffix(path) != ".json":
        return False
    try:
        return isinstance(json.loads(head.decode("utf-8-sig")), dict)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False  # several objects, one a line, or bigger than the head: read as JSON Lines


def _missing_columns_error(path: Path, fmt: TraceFormat, names: list[str], layout: str) -> UserError:
    missing = [c for c in fmt.columns.values() if c not in names]
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, names, n=1, cutoff=0.6)
        hints.append(f"'{column}'" + (f" (found '{close[0]}': pass --column or fix the header)" if close else ""))
    return UserError(
        f"{path}: {_header_place(layout)}: missing column {', '.join(hints)} for format {fmt.name} "
        f"(columns: {', '.join(names) or 'none'})"
    )


def _choose_format(path: Path, names: list[str], layout: str, options: WorkloadOptions) -> TraceFormat:
    wanted = options.format
    if wanted not in (None, "generic"):
        candidates = [f for f in KNOWN_FORMATS if f.name == wanted]
        if not candidates:
            raise UserError(f"--format must be one of {', '.join(FORMAT_NAMES)}, got {wanted!r}")
        fmt = next((f for f in candidates if f.matches(names, layout)), candidates[-1])
        fmt = fmt.with_columns(options.columns, options.time_unit)
        if not all(c in names for c in fmt.columns.values()):
            raise _missing_columns_error(path, fmt, names, layout)
        return fmt
    if wanted is None and not options.columns:
        for fmt in KNOWN_FORMATS:
            if fmt.matches(names, layout):
                return fmt
    try:
        fmt = generic_format(names, layout, options.columns, options.time_unit)
    except UserError as exc:
        # Nothing fits: say what was expected, pointing at the nearest known format.
        nearest = max(KNOWN_FORMATS, key=lambda f: sum(c in names for c in f.columns.values()))
        if wanted is None and any(c in names for c in nearest.columns.values()):
            raise _missing_columns_error(path, nearest, names, layout) from None
        raise UserError(
            f"{path}: {_header_place(layout)}: cannot tell the trace format: {exc} "
            f"(known: {'; '.join(f.title for f in KNOWN_FORMATS[:4])})"
        ) from None
    missing = [c for c in fmt.columns.values() if c not in names]
    if missing:
        raise _missing_columns_error(path, fmt, names, layout)
    return fmt


def _row_describer(layout: str):
    if layout == "csv":
        return lambda row: f"row {row + 1} (line {row + 1 + HEADER_LINES})"
    if layout == "jsonl":
        return lambda row: f"line {row + 1}"
    return lambda row: f"row {row + 1}"


def _rows_needed(options: WorkloadOptions) -> int | None:
    """--limit alone keeps the first N rows, so reading can stop there; a window, a sample or a
    sort needs the whole file."""
    if options.limit is None or options.window is not None or options.sample is not None or options.sort_by_time:
        return None
    return options.limit


def read_trace(path: Path, options: WorkloadOptions) -> LengthTable:
    """Read a recorded trace (format detected, or options.format) into a checked LengthTable."""
    head = read_head(path)
    layout = _layout(path, head)
    if layout == "jsonl" and options.format is None and _one_json_object(path, head):
        raise UserError(
            f"{path}: one JSON object: neither a ShareGPT list of conversations nor a workload spec "
            "(a spec needs 'num_requests', 'prompt' and 'output'; see docs/workloads.md)"
        )
    if options.format == "sharegpt" or (layout == "json" and options.format is None):
        check_text_encoding(path, head)
        return read_sharegpt(path, options.tokenizer)
    bad = BadRows()
    with read_progress(path, options.progress) as on_read:
        if layout == "parquet":
            names = parquet_names(path)
            fmt = _choose_format(path, names, layout, options)
            batches = parquet_batches(path, fmt.columns, on_read)
        elif layout == "jsonl":
            names = jsonl_keys(path, check_text_encoding(path, head))
            fmt = _choose_format(path, names, layout, options)
            batches = jsonl_batches(
                path,
                fmt.columns,
                skip_bad_rows=options.skip_bad_rows,
                on_bad_line=lambda: bad.add_text("line is not valid JSON"),
                on_read=on_read,
            )
        else:
            delimiter = options.delimiter or ("\t" if logical_suffix(path) == ".tsv" else ",")
            names = header_names(path, check_text_encoding(path, head), delimiter)
            fmt = _choose_format(path, names, "csv", options)
            batches = csv_batches(
                path,
                fmt.columns,
                delimiter=delimiter,
                skip_bad_rows=options.skip_bad_rows,
                on_bad_line=lambda: bad.add_text("wrong number of fields"),
                on_read=on_read,
            )
        table = assemble(
            path,
            fmt,
            batches,
            skip_bad_rows=options.skip_bad_rows,
            sort_by_time=options.sort_by_time,
            bad=bad,
            describe_row=_row_describer(layout),
            stop_after=_rows_needed(options),
        )
    if bad.total:
        table.source["bad_rows"] = dict(bad.counts)
    if fmt.time_unit_guessed and table.arrival_s is not None:
        span = float(table.arrival_s[-1] - table.arrival_s[0])
        table.source["time_unit_assumed"] = (
            f"column '{fmt.columns['arrival']}' read as seconds (no --time-unit, no unit in its name), so the trace "
            f"spans {span:,.4g} s; pass --time-unit ms, us or ns if it counts those"
        )
    return table
