"""Any CSV, JSONL or Parquet table: columns given by --column NAME=COLUMN, or guessed from
common names (first match wins)."""

from __future__ import annotations

from tokbench.errors import UserError
from tokbench.workload.traces.format import TraceFormat

COMMON_NAMES = {
    "prompt": (
        "prompt_len",
        "prompt_tokens",
        "input_length",
        "input_tokens",
        "input_len",
        "num_prefill_tokens",
        "context_tokens",
        "prompt_length",
        "ContextTokens",
        "Request tokens",
    ),
    "output": (
        "output_len",
        "output_tokens",
        "output_length",
        "completion_tokens",
        "num_decode_tokens",
        "generated_tokens",
        "max_tokens",
        "GeneratedTokens",
        "Response tokens",
    ),
    "arrival": ("arrival_s", "arrival_time", "arrived_at", "timestamp", "Timestamp", "TIMESTAMP", "time"),
    "blocks": ("hash_ids", "block_ids"),
}


def generic_format(names: list[str], layout: str, columns: dict[str, str], time_unit: str | None) -> TraceFormat:
    chosen = dict(columns)
    for canonical, candidates in COMMON_NAMES.items():
        if canonical not in chosen:
            found = next((c for c in candidates if c in names), None)
            if found is not None:
                chosen[canonical] = found
    for needed in ("prompt", "output"):
        if needed not in chosen:
            raise UserError(f"no {needed}-length column among [{', '.join(names)}]; pass --column {needed}=COLUMN")
    if "arrival" in chosen and time_unit is None:
        time_unit = "s"
    return TraceFormat("generic", "generic table with a column mapping", layout, chosen, time_unit)
