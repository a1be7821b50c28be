"""What loading a workload changed or left out, as lines for a terminal: never silent."""

from __future__ import annotations

_NOTES = (
    ("failed_requests_excluded", "failed requests (0 output tokens) excluded"),
    ("clipped_over_length", "requests clipped to max_model_len"),
    ("dropped_over_length", "requests longer than max_model_len dropped"),
    ("arrivals_raised_to_previous_row", "whole-second timestamps raised to the previous row's time"),
    ("sorted_by_time", "rows out of time order, sorted (--sort-by-time)"),
    ("conversations_without_reply_excluded", "conversations without a human turn and reply excluded"),
    ("read_stopped_early", "reading stopped early"),
)


def source_notes(source: dict) -> list[str]:
    """One line per change recorded in `Workload.source` / `LengthTable.source`."""
    notes = []
    if source.get("bad_rows"):
        counts = ", ".join(f"{reason}: {count:,}" for reason, count in source["bad_rows"].items())
        notes.append(f"rows skipped (--skip-bad-rows): {counts}")
    for key, text in _NOTES:
        value = source.get(key)
        if value:
            notes.append(f"{text}: {value:,}" if isinstance(value, int) else f"{text}: {value}")
    return notes
