"""Columns each results table must have to be read: those of schema version 1, plus `run`.

Deliberately a fixed list, not the recorder's current columns: the recorder may add columns
(additive changes keep the schema version), and results written before them must still load.
Code that reads a newer column checks that it is there. A test keeps the recorder writing these.
"""

import pandas as pd

REQUIRED_COLUMNS = {
    "requests": ("request_id", "arrival_s", "first_scheduled_s", "first_token_s", "finish_s", "prompt_len",
                 "output_len", "preemptions", "run"),
    "steps": ("step", "start_s", "end_s", "duration_s", "schedule_s", "kind", "layout", "batch_size", "real_tokens",
              "padded_tokens", "prefill_tokens", "decode_tokens", "token_budget", "sampled_tokens", "attention_pairs",
              "kv_used_tokens", "kv_reserved_tokens", "kv_capacity_tokens", "kv_read_tokens", "preemptions", "run"),
    "tokens": ("request_id", "index", "time_s", "run"),
}


def rows_of(table: pd.DataFrame, run: str) -> pd.DataFrame:
    """The rows of one run, renumbered from 0."""
    return table[table["run"].astype(str) == run].reset_index(drop=True)
