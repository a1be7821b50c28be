"""What a trace format is: a file layout plus which columns hold prompt, output, arrival, blocks."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class TraceFormat:
    name: str
    title: str  # one line for `--format` help and errors
    layout: str  # csv, jsonl or parquet (gzip etc. are detected separately)
    columns: dict[str, str]  # canonical name (prompt, output, arrival, blocks) -> column in the file
    time_unit: str | None = None  # s, ms, us, ns or datetime; None when there is no arrival column
    # BurstGPT records failed requests with 0 response tokens: excluded and counted, not an error.
    zero_output_means_failed: bool = False
    also_layouts: tuple[str, ...] = field(default=())  # e.g. the same columns converted to Parquet
    # Some rows are recorded more coarsely than the file's order (Azure 2024 rows without a
    # fraction of a second): a step back smaller than this is a rounding, not disorder.
    time_resolution_s: float = 0.0
    # A generic arrival column without --time-unit or a unit in its name is read as seconds: said.
    time_unit_guessed: bool = False
    # Times count from the start of the trace (BurstGPT): a negative one is a damaged row.
    times_from_start: bool = False

    def matches(self, names: list[str], layout: str) -> bool:
        return layout in (self.layout, *self.also_layouts) and all(c in names for c in self.columns.values())

    def with_columns(self, columns: dict[str, str], time_unit: str | None) -> "TraceFormat":
        merged = {**self.columns, **columns}
        unit = time_unit or (self.time_unit if "arrival" in merged else None)
        return replace(self, columns=merged, time_unit=unit)
