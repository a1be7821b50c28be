"""The numbers of a step that cost models read, from a plan (simulating) or a steps table (calibrating).

Both sides read the same names: a StepCounts has them as attributes, a steps table as columns once
`with_computed_tokens` added the one the table does not store. So a model fitted on measured steps
is applied to simulated plans by the very same definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Each is a count per step (docs/metrics.md defines the recorded ones).
FEATURES: dict[str, str] = {
    "computed_tokens": "token slots the model runs over: real + padded (the linear layers' work)",
    "batch_size": "rows in the step (per-row work: sampling, bookkeeping, a padded row's cost)",
    "attention_pairs": "query-key pairs, causal: sum of length x context (prefill attention)",
    "kv_read_tokens": "KV tokens read: sum of each row's context (decode attention)",
    "sampled_tokens": "rows that sample a token (the LM head and the sampler)",
}


def with_computed_tokens(steps: pd.DataFrame) -> pd.DataFrame:
    return steps.assign(computed_tokens=steps["real_tokens"] + steps["padded_tokens"])


def feature_matrix(steps: pd.DataFrame) -> np.ndarray:
    """One row per step, one column per feature, for a measured or simulated steps table."""
    steps = with_computed_tokens(steps)
    return np.column_stack([steps[name].to_numpy(dtype=float) for name in FEATURES]).reshape(len(steps), len(FEATURES))
