"""The numbers of a step that cost models read, from a plan (simulating) or a steps table (calibrating).

`step_features` is the one definition, written in arithmetic that works on plain numbers (one
plan) and on numpy columns (a steps table), so a model fitted on measured steps is applied to
simulated plans by the very same formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tokbench.engine.plan import StepPlan
from tokbench.engine.recorder import StepCounts
from tokbench.engine.step_columns import columns

# Each is a count per step (docs/metrics.md defines the recorded ones; docs/simulate.md these).
FEATURES: dict[str, str] = {
    "computed_tokens": "token slots the model runs over: real + padded (the linear layers' work)",
    "batch_size": "rows in the step (per-row work: sampling, bookkeeping, a padded row's cost)",
    "attention_pairs": "query-key pairs, causal: sum of length x context (prefill attention)",
    "kv_read_tokens": "KV tokens read: sum of each row's context (decode attention)",
    "sampled_tokens": "rows that sample a token (the LM head and the sampler)",
    "padded_steps": "1 for a step in the padded layout (its masks and rectangle kernels: a fixed cost per step)",
    "padded_attention_pairs": "a padded prefill rectangle's pairs beyond the real ones: rows x padded_len x span - real",
    "padded_kv_read_tokens": "a padded decode rectangle's keys beyond the rows' own: rows x span - KV read",
}
FEATURES_INDEX = {name: i for i, name in enumerate(FEATURES)}


def step_features(padded, padded_len, batch, computed, pairs, kv_read, sampled, span) -> tuple:
    """Feature values in FEATURES order; `padded` is a bool (or bool array), `span` the longest context."""
    prefill_rectangle = padded * (padded_len > 1)
    decode_rectangle = padded * (padded_len == 1)
    return (computed, batch, pairs, kv_read, sampled, padded * 1.0,
            prefill_rectangle * (batch * padded_len * span - pairs),
            decode_rectangle * (batch * span - kv_read))


def plan_counts(plan: StepPlan) -> StepCounts:
    """The recorder's counts of `plan` (inside the loop's step: from the columns it already read)."""
    return StepCounts.of(columns(plan))


def plan_features(plan: StepPlan) -> tuple:
    return counts_features(plan.layout, plan.padded_len, len(plan.chunks), plan_counts(plan))


def counts_features(layout: str, padded_len: int, batch: int, c: StepCounts) -> tuple:
    """The features of a step of `batch` rows in `layout` with counts `c` (a repeated step has no plan object)."""
    return step_features(layout == "padded", padded_len, batch, c.real_tokens + c.padded_tokens,
                         c.attention_pairs, c.kv_read_tokens, c.sampled_tokens, c.max_context_tokens)


def feature_matrix(steps: pd.DataFrame) -> np.ndarray:
    """One row per step, one column per feature, for a measured or simulated steps table.

    Results written before `max_context_tokens` was recorded do not know a rectangle's span: their
    padded extras are 0 (the fit then charges padding's attention to the other features)."""
    col = lambda name: steps[name].to_numpy(dtype=float)  # noqa: E731
    computed = col("real_tokens") + col("padded_tokens")
    batch = col("batch_size")
    padded = (steps["layout"] == "padded").to_numpy()
    padded_len = np.divide(computed, batch, out=np.zeros_like(computed), where=batch > 0)
    known_span = "max_context_tokens" in steps
    span = col("max_context_tokens") if known_span else np.zeros(len(steps))
    values = step_features(padded, padded_len, batch, computed, col("attention_pairs"), col("kv_read_tokens"),
                           col("sampled_tokens"), span)
    matrix = np.column_stack(values).reshape(len(steps), len(FEATURES))
    if not known_span:
        matrix[:, [FEATURES_INDEX["padded_attention_pairs"], FEATURES_INDEX["padded_kv_read_tokens"]]] = 0.0
    return matrix
