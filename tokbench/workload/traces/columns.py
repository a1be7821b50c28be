"""Turning a raw column (strings or numbers, with holes) into checked numbers, row by row.

Each bad cell gets a reason code; the caller either stops at the first one (one clear line naming
file, row and column) or drops the row and counts it by reason (--skip-bad-rows).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CANONICAL_COLUMNS = ("prompt", "output", "arrival", "blocks")

(OK, MISSING, NOT_NUMBER, NEGATIVE, ZERO, NOT_INTEGER, TOO_LARGE, BAD_TIME, TIME_BACKWARDS, BAD_BLOCKS,
 NEGATIVE_TIME) = range(11)
# Lengths are stored as int32; anything near that is a corrupt cell, not a real request.
MAX_LENGTH = 2**31 - 1
REASONS = {
    MISSING: "value is missing (empty or NaN)",
    NOT_NUMBER: "value is not a number",
    NEGATIVE: "length is negative",
    ZERO: "length is zero",
    NOT_INTEGER: "length is not a whole number",
    TOO_LARGE: f"length is too large (over {MAX_LENGTH:,} tokens)",
    BAD_TIME: "timestamp cannot be parsed",
    TIME_BACKWARDS: "timestamp is earlier than the row before",
    BAD_BLOCKS: "hash_ids is not a list of integers",
    NEGATIVE_TIME: "timestamp is negative, and this format counts seconds from the start of the trace",
}

_NUMBER_RE = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


def as_float(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(values, reason) with NaN where a cell is missing or not a number."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        try:  # fast path: every cell parses
            numbers = pc.cast(column, pa.float64())
            reason = np.zeros(len(column), dtype=np.uint8)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            is_number = pc.fill_null(pc.match_substring_regex(column, _NUMBER_RE), False)
            numbers = pc.cast(
                pc.if_else(is_number, pc.utf8_trim_whitespace(column), pa.scalar(None, column.type)), pa.float64()
            )
            reason = np.where(np.asarray(is_number), OK, NOT_NUMBER).astype(np.uint8)
    elif pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_null(column.type):
        numbers = pc.cast(column, pa.float64())
        reason = np.zeros(len(column), dtype=np.uint8)
    else:
        return np.full(len(column), np.nan), np.full(len(column), NOT_NUMBER, dtype=np.uint8)
    values = numbers.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    missing = np.asarray(column.is_null()) | (reason == OK) & np.isnan(values)
    reason[missing] = MISSING
    reason[(reason == OK) & np.isinf(values)] = NOT_NUMBER  # 'inf' parses as a float; no length is infinite
    return values, reason


def as_lengths(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int64 lengths, reason): a length must be a positive whole number."""
    values, reason = as_float(column)
    ok = reason == OK
    reason[ok & (values < 0)] = NEGATIVE
    reason[ok & (values == 0)] = ZERO
    reason[(reason == OK) & (values != np.floor(values))] = NOT_INTEGER
    reason[(reason == OK) & (values > MAX_LENGTH)] = TOO_LARGE
    lengths = np.where(reason == OK, values, 0).astype(np.int64)
    return lengths, reason


def cell_text(column: pa.Array, index: int) -> str:
    value = column[index].as_py()
    return "empty" if value is None or value == "" else repr(value)


class BadRows:
    """Counts of skipped rows by reason, and the first example of each."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, reason_code: int, count: int) -> None:
        if count:
            key = REASONS[reason_code]
            self.counts[key] = self.counts.get(key, 0) + count

    def add_text(self, reason: str, count: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())
