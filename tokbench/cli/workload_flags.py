"""Workload flags shared by every command that reads a workload (`run`, `profile`)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from tokbench.workload.options import (
    WorkloadOptions,
    parse_columns,
    parse_delimiter,
    parse_window,
)

P = "Workload"
Format = Annotated[Optional[str], typer.Option("--format", help="Trace format (default: detect).", rich_help_panel=P)]
Column = Annotated[Optional[list[str]], typer.Option("--column", help="NAME=COLUMN for generic traces (repeatable).", rich_help_panel=P)]
TimeUnit = Annotated[Optional[str], typer.Option("--time-unit", help="Generic traces: s, ms, us, ns or datetime.", rich_help_panel=P)]
Delimiter = Annotated[Optional[str], typer.Option("--delimiter", help="CSV delimiter.", rich_help_panel=P)]
TimeScale = Annotated[float, typer.Option("--time-scale", help="Multiply inter-arrival times.", rich_help_panel=P)]
RateScale = Annotated[float, typer.Option("--rate-scale", help="Multiply the arrival rate.", rich_help_panel=P)]
Window = Annotated[Optional[str], typer.Option("--window", help="START:END seconds of the trace to keep.", rich_help_panel=P)]
Limit = Annotated[Optional[int], typer.Option("--limit", help="Keep the first N requests.", rich_help_panel=P)]
Sample = Annotated[Optional[int], typer.Option("--sample", help="Keep N random requests (seeded).", rich_help_panel=P)]
NumRequests = Annotated[Optional[int], typer.Option("--num-requests", help="Synthetic presets: number of requests.", rich_help_panel=P)]
LengthScale = Annotated[float, typer.Option("--length-scale", help="Multiply prompt and output lengths.", rich_help_panel=P)]
OverLength = Annotated[str, typer.Option("--over-length", help="Requests over max_model_len: clip (proportionally), drop, or refuse (run: refuse unless chosen).", rich_help_panel=P)]
SkipBadRows = Annotated[bool, typer.Option("--skip-bad-rows", help="Drop malformed rows (counted) instead of failing.", rich_help_panel=P)]
SortByTime = Annotated[bool, typer.Option("--sort-by-time", help="Sort an out-of-order trace instead of rejecting it.", rich_help_panel=P)]
Offline = Annotated[bool, typer.Option("--offline", help="Every request arrives at t=0.", rich_help_panel=P)]
Tokenizer = Annotated[Optional[str], typer.Option("--tokenizer", help="Local tokenizer for ShareGPT text lengths.", rich_help_panel=P)]


def make_options(*, format=None, column=None, time_unit=None, delimiter=None, time_scale=1.0, rate_scale=1.0,
                 window=None, limit=None, sample=None, num_requests=None, length_scale=1.0, over_length="clip",
                 skip_bad_rows=False, sort_by_time=False, offline=False, tokenizer=None,
                 progress=False) -> WorkloadOptions:
    return WorkloadOptions(
        format=format, columns=parse_columns(column), time_unit=time_unit, delimiter=parse_delimiter(delimiter),
        time_scale=time_scale, rate_scale=rate_scale, window=parse_window(window), limit=limit, sample=sample,
        num_requests=num_requests, length_scale=length_scale, over_length=over_length,
        skip_bad_rows=skip_bad_rows, sort_by_time=sort_by_time, offline=offline, tokenizer=tokenizer,
        progress=progress,
    )
