"""What every peer run must satisfy, whatever the engine: the checks the HF and vLLM tests share."""

import math

from tokbench.peers.records import STEP_METRICS


def check_peer_run(run, requests, reference) -> None:
    # Same tokens as tokbench's one-at-a-time reference, exactly the requested number.
    assert run.outputs == reference
    req, tok = run.tables["requests"], run.tables["tokens"]
    assert sorted(req["request_id"]) == [r.request_id for r in requests]
    by_id = {r.request_id: r for r in requests}
    for row in req.itertuples():
        r = by_id[row.request_id]
        assert row.output_len == r.max_tokens and row.prompt_len == r.prompt_len
        assert row.arrival_s == r.arrival_s
        # Never scheduled before it arrived; the times of one request run forwards.
        assert row.arrival_s <= row.first_scheduled_s <= row.first_token_s <= row.finish_s
        times = tok.loc[tok["request_id"] == row.request_id].sort_values("index")["time_s"].tolist()
        assert len(times) == r.max_tokens
        assert times == sorted(times) and times[0] == row.first_token_s and times[-1] == row.finish_s
    # The summary comes from these tables; what needs engine steps is null and said to be.
    s = run.summary
    assert s["completed"] == len(requests)
    assert math.isclose(s["output_throughput"], req["output_len"].sum() / req["finish_s"].max())
    for name in STEP_METRICS:
        assert math.isnan(s[name]) and name in run.not_measured
    assert run.describe()["not_measured"]["metrics"] == run.not_measured
