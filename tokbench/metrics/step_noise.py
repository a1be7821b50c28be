"""Equal work, unequal time: how much of a run's step time the machine, not the strategy, decided.

A strategy's steps repeat the same kinds of work over and over (decode steps of similar batch size
and KV read, prefill chunks of similar size) and repeat them exactly in every round. So the time a
step *should* take can be learnt from the run's own steps: per step kind and layout, a
least-squares fit of duration on the work the step did (tokens computed, KV tokens read, attention
pairs, rows), fitted to the faster half of the steps so that a disturbed minority does not set the
expectation. Then:

- within a round, a stretch of steps that ran SLOW× or more slower, for their work, than the round's
  typical step is a disturbance (another process took the cores, the GPU was shared, the machine
  throttled);
- across rounds, each round's step time over its expected time is compared with the fastest round's:
  the same steps taking longer in one round than in another.

Both are diagnostics kept beside the summary (runs[].noise in results.json), not summary metrics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SLOW = 1.5  # a stretch of steps this much slower than expected is disturbed
ROUND_SLOW = 1.2  # a round whose steps took this much longer than the same steps in the fastest round
FEATURES = ("computed_tokens", "kv_read_tokens", "attention_pairs", "batch_size")
MIN_FIT = 8  # fewer steps of a kind than this: expect their median duration


def _features(steps: pd.DataFrame) -> np.ndarray:
    work = steps.assign(computed_tokens=steps["real_tokens"] + steps["padded_tokens"])
    return np.column_stack([np.ones(len(steps)), *(work[f].to_numpy(float) for f in FEATURES)])


def expected_seconds(steps: pd.DataFrame) -> np.ndarray:
    """Each step's duration as the run's undisturbed steps of the same work take it."""
    y = steps["duration_s"].to_numpy(float)
    x = _features(steps)
    expected = np.empty(len(steps))
    for _, index in steps.groupby(["kind", "layout"]).indices.items():
        if len(index) < MIN_FIT:
            expected[index] = np.median(y[index])
            continue
        keep = index
        for _ in range(3):  # refit on the faster half of the steps, as judged by the previous fit
            w = 1.0 / np.maximum(y[keep], 1e-9)  # relative errors: a long step weighs no more than a short one
            coef, *_ = np.linalg.lstsq(x[keep] * w[:, None], y[keep] * w, rcond=None)
            fit = np.maximum(x[index] @ coef, 0.5 * y[index].min())
            ratio = y[index] / fit
            keep = index[ratio <= np.median(ratio)]
        expected[index] = fit
    return expected


def slow_stretch(steps: pd.DataFrame, expected: np.ndarray) -> dict:
    """The steps that ran in a stretch SLOW× or more slower, for their work, than the round's typical step:
    their seconds, their share of the round's step time, and how much slower they ran than the rest
    (the median of each side). A disturbance over most of a round has no undisturbed rest to be seen
    against: the load figures and the comparison of rounds catch that."""
    none = {"slow_seconds": 0.0, "slow_share": 0.0, "slowdown": None}
    if len(steps) < MIN_FIT:
        return none
    ratio = pd.Series(steps["duration_s"].to_numpy(float) / expected)
    window = max(MIN_FIT, len(steps) // 20)  # a stretch, not a lone slow step
    slow = (ratio.rolling(window, center=True, min_periods=1).median() >= SLOW * ratio.median()).to_numpy()
    if not slow.any():
        return none
    duration = steps["duration_s"].to_numpy(float)
    rest = ratio[~slow].median() if (~slow).any() else 1.0
    return {"slow_seconds": float(duration[slow].sum()), "slow_share": float(duration[slow].sum() / duration.sum()),
            "slowdown": float(ratio[slow].median() / rest)}


def round_slowdowns(steps: pd.DataFrame) -> dict[int, float]:
    """Per round: its steps' time over their expected time, divided by that of the fastest round (1.0: the
    fastest; 1.3: the same steps took 30% longer). The fastest round is the least disturbed one: steps do
    not run faster than the machine allows. Needs a `round` column and two rounds or more; the
    expectation is fitted to every round's steps together."""
    rounds = sorted(steps["round"].unique()) if len(steps) else []
    if len(rounds) < 2:
        return {}
    expected, duration, which = expected_seconds(steps), steps["duration_s"].to_numpy(float), steps["round"].to_numpy()
    per_round = {r: duration[which == r].sum() / expected[which == r].sum() for r in rounds}
    fastest = min(per_round.values())
    return {int(r): float(per_round[r] / fastest) for r in rounds}
