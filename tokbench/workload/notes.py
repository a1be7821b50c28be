"""What loading a workload changed or left out, as lines for a terminal: never silent.

Each line states its count out of the whole, the limit and the method, so a reader can judge
whether the run still represents the trace; when more than REWRITTEN_WARN_SHARE of the requests
were rewritten to fit max_model_len, one more line says that it does not.
"""

from __future__ import annotations

REWRITTEN_WARN_SHARE = 0.1  # documented in docs/workloads.md

_NOTES = (
    ("failed_requests_excluded", "failed requests (0 output tokens) excluded"),
    ("arrivals_raised_to_previous_row", "whole-second timestamps raised to the previous row's time"),
    ("sorted_by_time", "rows out of time order, sorted (--sort-by-time)"),
    ("conversations_without_reply_excluded", "conversations without a human turn and reply excluded"),
    ("read_stopped_early", "reading stopped early"),
    ("time_unit_assumed", "arrival unit assumed"),
)


def fit_notes(fit: dict) -> list[str]:
    """'57 of 64 requests clipped to max_model_len 2048 (...)', and the warning when too many were."""
    count, total, limit = fit["rewritten"], fit["requests"], fit["max_model_len"]
    if not count:
        return []
    lost = fit["tokens"] - fit["tokens_served"]
    tokens = f"{lost:,} of {fit['tokens']:,} tokens ({lost / fit['tokens']:.0%}) not served"
    if fit["over_length"] == "drop":
        line = f"{count:,} of {total:,} requests dropped: longer than max_model_len {limit:,} (prompt + output); {tokens}"
    else:
        line = (f"{count:,} of {total:,} requests clipped to max_model_len {limit:,} "
                f"(prompt and output scaled proportionally); {tokens}")
    notes = [line]
    if count > REWRITTEN_WARN_SHARE * total:
        notes.append(
            f"warning: {count / total:.0%} of the requests were rewritten (more than {REWRITTEN_WARN_SHARE:.0%}), so this "
            "workload no longer represents the trace: raise --max-model-len (a model with a longer context) "
            "or shorten requests with --length-scale"
        )
    return notes


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
    if source.get("fit"):
        notes += fit_notes(source["fit"])
    return notes
