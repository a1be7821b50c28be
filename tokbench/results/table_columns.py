"""Columns each results table must have: the recorder's columns plus the `run` that names the run."""

import pandas as pd

from tokbench.engine.recorder import REQUEST_COLUMNS, STEP_COLUMNS, TOKEN_COLUMNS

REQUIRED_COLUMNS = {
    "requests": (*REQUEST_COLUMNS, "run"),
    "steps": (*STEP_COLUMNS, "run"),
    "tokens": (*TOKEN_COLUMNS, "run"),
}


def rows_of(table: pd.DataFrame, run: str) -> pd.DataFrame:
    """The rows of one run, renumbered from 0."""
    return table[table["run"].astype(str) == run].reset_index(drop=True)
