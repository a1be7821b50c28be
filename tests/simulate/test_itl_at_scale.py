"""ITL without a sort (what makes summaries of 100k-request simulations quick) equals the definition."""

import numpy as np
import pandas as pd
import pytest

from tokbench.metrics.summary import inter_token_latencies


def _by_definition(tokens):
    gaps = []
    for _, group in tokens.groupby("request_id"):
        times = group.sort_values("index")["time_s"].to_numpy()
        gaps.extend(np.diff(times))
    return np.sort(gaps)


def _tokens(seed):
    rng = np.random.default_rng(seed)
    rid = rng.integers(0, 40, 600)
    tokens = pd.DataFrame({"request_id": rid, "time_s": rng.random(600)})
    tokens["index"] = tokens.groupby("request_id").cumcount()
    return tokens.sample(frac=1, random_state=seed)  # rows in no order


CASES = {
    "numbered 0..n-1": lambda t: t,
    "gaps in the numbering": lambda t: t[t["index"] % 3 != 1],
    "huge request ids": lambda t: t.assign(request_id=t["request_id"] * 10**12),
    "a repeated token": lambda t: pd.concat([t, t.iloc[:3]]),
    "one token": lambda t: t.iloc[:1],
    "empty": lambda t: t.iloc[:0],
}


@pytest.mark.parametrize("case", CASES)
def test_itl_matches_the_definition(case):
    tokens = CASES[case](_tokens(seed=len(case)))
    np.testing.assert_array_equal(np.sort(inter_token_latencies(tokens)), _by_definition(tokens))
