"""Arrival columns -> seconds from the first row: datetimes (Azure) or numbers in a unit."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tokbench.workload.traces.columns import BAD_TIME, MISSING, NEGATIVE_TIME, OK, as_float

# Units per second: dividing (not multiplying by 1e-3) keeps whole milliseconds exact.
TIME_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


_ZONE = re.compile(r"(Z|[+-]\d\d:?\d\d)$")


def _looks_zoned(column: pa.Array) -> bool:
    first = pc.drop_null(column[:64])
    return len(first) > 0 and bool(_ZONE.search(str(first[0].as_py()).strip()))


def _datetime_ns(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """int64 ns since the epoch, and a reason code per row."""
    if pa.types.is_timestamp(column.type):
        ns = pc.cast(column, pa.timestamp("ns", tz=column.type.tz))
    else:
        ns = None
        # Arrow's ISO-8601 cast is fast; it wants naive (2023 traces) or zoned (2024) strings.
        # A failed cast costs a full scan, so the layout of the first value picks the first try.
        targets = [pa.timestamp("ns"), pa.timestamp("ns", tz="UTC")]
        if _looks_zoned(column):
            targets.reverse()
        for target in targets:
            try:
                ns = pc.cast(column, target)
                break
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
        if ns is None:  # mixed or odd layouts: pandas, which marks what it cannot read
            parsed = pd.to_datetime(
                pd.Series(column.to_pylist(), dtype=object), format="ISO8601", errors="coerce", utc=True
            )
            values = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64)
            reason = np.where(parsed.isna().to_numpy(), BAD_TIME, OK).astype(np.uint8)
            reason[np.asarray(column.is_null())] = MISSING
            return values, reason
    values = pc.cast(pc.fill_null(ns, 0), pa.int64()).to_numpy(zero_copy_only=False)
    reason = np.where(np.asarray(ns.is_null()), MISSING, OK).astype(np.uint8)
    return values, reason


class ArrivalParser:
    """Parses arrival columns batch by batch; times are relative to the first row's timestamp,
    kept in integer ns until then so 2024-epoch datetimes do not lose sub-microsecond detail."""

    def __init__(self, unit: str, non_negative: bool = False):
        self.unit = unit
        self.non_negative = non_negative  # times count from the trace's start: below 0 is a bad row
        self._origin_ns: int | None = None
        self._origin_raw: float | None = None  # numeric units: the first row's value as written

    def parse(self, column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        if self.unit == "datetime":
            ns, reason = _datetime_ns(column)
            ok = reason == OK
            if self._origin_ns is None and ok.any():
                self._origin_ns = int(ns[ok][0])
            return (ns - (self._origin_ns or 0)) / 1e9, reason
        values, reason = as_float(column)
        reason[reason != OK] = np.where(reason[reason != OK] == MISSING, MISSING, BAD_TIME)
        if self.non_negative:
            reason[(reason == OK) & (values < 0)] = NEGATIVE_TIME
        ok = reason == OK
        if self._origin_raw is None and ok.any():
            self._origin_raw = float(values[ok][0])
        # Subtract in the file's unit, then convert: 1007 ms - 7 ms is exactly 1 s.
        return (values - (self._origin_raw or 0.0)) / TIME_UNITS[self.unit], reason

    def whole_seconds(self, arrival_s: np.ndarray) -> np.ndarray:
        """Which arrivals (seconds from the origin) fall on a whole second of the clock: the rows an
        Azure 2024 file writes without a fraction. Within 1 us, which no recorded fraction reaches."""
        if self.unit == "datetime":
            since_epoch_ns = arrival_s * 1e9 + float(self._origin_ns or 0)
        else:
            since_epoch_ns = (arrival_s + (self._origin_raw or 0.0) / TIME_UNITS[self.unit]) * 1e9
        fraction_ns = np.mod(since_epoch_ns, 1e9)
        return (fraction_ns < 1e3) | (fraction_ns > 1e9 - 1e3)
