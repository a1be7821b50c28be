"""A simulation's workload: the very requests a real run would build, lengths only."""

from tokbench.workload import WorkloadOptions, load_workload


def test_lengths_only_gives_the_same_requests_with_placeholder_prompts():
    opts = WorkloadOptions(num_requests=300)
    real = load_workload("chat", seed=3, vocab_size=32000, max_model_len=2048, options=opts)
    sim = load_workload("chat", seed=3, vocab_size=32000, max_model_len=2048, options=opts, lengths_only=True)
    assert [(r.request_id, r.arrival_s, r.prompt_len, r.max_tokens) for r in sim.requests] == \
        [(r.request_id, r.arrival_s, r.prompt_len, r.max_tokens) for r in real.requests]
    assert all(set(r.prompt_token_ids) == {0} for r in sim.requests)
    # one tuple per distinct length, not one per request
    by_length = {}
    for r in sim.requests:
        assert by_length.setdefault(r.prompt_len, r.prompt_token_ids) is r.prompt_token_ids
    assert sim.source["lengths_only"] and "lengths_only" not in real.source
