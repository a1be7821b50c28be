"""Batches of raw columns -> one checked LengthTable: every bad cell is either the one-line error
or a counted, skipped row; nothing is dropped silently."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tokbench.errors import UserError
from tokbench.workload.table import LengthTable
from tokbench.workload.traces.columns import (
    BAD_BLOCKS,
    OK,
    REASONS,
    TIME_BACKWARDS,
    ZERO,
    BadRows,
    as_lengths,
    cell_text,
)
from tokbench.workload.traces.format import TraceFormat
from tokbench.workload.traces.timestamps import ArrivalParser

SKIP_HINT = "; pass --skip-bad-rows to drop such rows"


def _blocks(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(per-row block counts, flat ids, reason) from a list<int> column."""
    n = len(column)
    if not (pa.types.is_list(column.type) or pa.types.is_large_list(column.type)) or not (
        pa.types.is_integer(column.type.value_type) or pa.types.is_null(column.type.value_type)
    ):
        return np.zeros(n, np.int64), np.zeros(0, np.int64), np.full(n, BAD_BLOCKS, np.uint8)
    counts = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(column)
    reason = np.zeros(n, np.uint8)
    if flat.null_count:
        owner = pc.list_parent_indices(column).to_numpy(zero_copy_only=False)
        reason[np.unique(owner[np.asarray(flat.is_null())])] = BAD_BLOCKS
    return counts, pc.fill_null(flat, 0).to_numpy(zero_copy_only=False).astype(np.int64), reason


def _rows_left(batches) -> bool:
    """Whether the file holds rows past this batch; closes the reader either way."""
    batches = iter(batches)
    left = next(batches, None) is not None
    if hasattr(batches, "close"):
        batches.close()  # release the file now, not at garbage collection
    return left


class _Collected:
    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("prompt", "output", "arrival", "row", "counts", "ids")
        }

    def add(self, keep: np.ndarray, row0: int, prompt, output, arrival, counts, ids) -> None:
        self.parts["prompt"].append(prompt[keep].astype(np.int32))
        self.parts["output"].append(output[keep].astype(np.int32))
        self.parts["row"].append(row0 + np.flatnonzero(keep))
        if arrival is not None:
            self.parts["arrival"].append(arrival[keep])
        if counts is not None:
            owner = np.repeat(np.arange(len(counts)), counts)  # the row each block id belongs to
            self.parts["counts"].append(counts[keep])
            self.parts["ids"].append(ids[keep[owner]])

    def array(self, key: str, dtype) -> np.ndarray | None:
        """The column, once: its parts are released as it is built, so a 10M-row trace is not held twice."""
        parts = self.parts.pop(key)
        return np.concatenate(parts).astype(dtype, copy=False) if parts else None


def _order_arrivals(
    path: Path,
    table: LengthTable,
    fmt: TraceFormat,
    parser: ArrivalParser,
    *,
    skip: bool,
    sort: bool,
    bad: BadRows,
    describe_row: Callable[[int], str],
) -> LengthTable:
    arrival = table.arrival_s
    latest = np.maximum.accumulate(arrival)
    rounded = (arrival < latest) & (latest - arrival < fmt.time_resolution_s)
    if rounded.any():
        rounded &= parser.whole_seconds(arrival)  # only rows written without a fraction
    if rounded.any():
        arrival[rounded] = latest[rounded]
        table.source["arrivals_raised_to_previous_row"] = int(rounded.sum())
    backwards = arrival < latest
    if not backwards.any():
        return table
    if sort:
        table = table.take(np.argsort(arrival, kind="stable"))
        table.arrival_s -= table.arrival_s[0]  # times count from the earliest request, not the first row
        table.source["sorted_by_time"] = int(backwards.sum())  # rows that were out of order
        return table
    if not skip:
        first = int(np.argmax(backwards))
        raise UserError(
            f"{path}: {describe_row(int(table.row_id[first]))}, column '{fmt.columns['arrival']}': "
            f"{REASONS[TIME_BACKWARDS]}; pass --sort-by-time to sort the trace, or --skip-bad-rows"
        )
    bad.add(TIME_BACKWARDS, int(backwards.sum()))
    return table.take(~backwards)


def assemble(
    path: Path,
    fmt: TraceFormat,
    batches: Iterable[tuple[dict[str, pa.Array], int]],
    *,
    skip_bad_rows: bool,
    sort_by_time: bool,
    bad: BadRows,
    describe_row: Callable[[int], str],
    stop_after: int | None = None,
) -> LengthTable:
    """`stop_after`: stop reading once this many usable rows are in (--limit without --window or
    --sample needs only the head of a 27M-row file); later rows are then neither read nor checked."""
    parser = ArrivalParser(fmt.time_unit, fmt.times_from_start) if "arrival" in fmt.columns else None
    collected, failed, total_rows, kept, stopped = _Collected(), 0, 0, 0, False
    batches = iter(batches)  # one iterator, so _rows_left continues where the loop stopped
    for columns, row0 in batches:
        n = len(columns["prompt"])
        total_rows += n
        prompt, r_prompt = as_lengths(columns["prompt"])
        output, r_output = as_lengths(columns["output"])
        is_failed = np.zeros(n, bool)
        if fmt.zero_output_means_failed:
            is_failed = r_output == ZERO
            r_output[is_failed] = OK
        checks = [("prompt", r_prompt), ("output", r_output)]
        arrival = counts = ids = None
        if parser is not None:
            arrival, r_arrival = parser.parse(columns["arrival"])
            checks.append(("arrival", r_arrival))
        if "blocks" in columns:
            counts, ids, r_blocks = _blocks(columns["blocks"])
            checks.append(("blocks", r_blocks))
        is_bad = np.zeros(n, bool)
        for name, reason in checks:
            wrong = (reason != OK) & ~is_bad
            if wrong.any() and not skip_bad_rows:
                i = int(np.argmax(wrong))
                raise UserError(
                    f"{path}: {describe_row(row0 + i)}, column '{fmt.columns[name]}': "
                    f"{REASONS[int(reason[i])]} (got {cell_text(columns[name], i)}){SKIP_HINT}"
                )
            for code in np.unique(reason[wrong]):
                bad.add(int(code), int((reason[wrong] == code).sum()))
            is_bad |= wrong
        failed += int((is_failed & ~is_bad).sum())
        keep = ~is_bad & ~is_failed
        collected.add(keep, row0, prompt, output, arrival, counts, ids)
        kept += int(keep.sum())
        if stop_after is not None and kept >= stop_after:
            stopped = _rows_left(batches)
            break
    if total_rows == 0:
        raise UserError(f"{path}: no data rows (only a header?)")
    prompt = collected.array("prompt", np.int32)
    if prompt is None or len(prompt) == 0:
        raise UserError(f"{path}: none of the {total_rows} rows is usable ({bad.total} bad, {failed} failed requests)")
    counts = collected.array("counts", np.int64)
    table = LengthTable(
        prompt_len=prompt,
        output_len=collected.array("output", np.int32),
        arrival_s=collected.array("arrival", np.float64),
        block_ids=collected.array("ids", np.int64),
        block_offsets=None if counts is None else np.concatenate([[0], np.cumsum(counts)]),
        row_id=collected.array("row", np.int64),
        source={"kind": "trace", "path": str(path), "format": fmt.name, "rows_read": total_rows},
    )
    if failed:
        table.source["failed_requests_excluded"] = failed
    if stopped:
        table.source["read_stopped_early"] = f"after {total_rows:,} rows: enough for --limit {stop_after}"
    if table.arrival_s is not None:
        table = _order_arrivals(
            path, table, fmt, parser, skip=skip_bad_rows, sort=sort_by_time, bad=bad, describe_row=describe_row
        )
    return table
