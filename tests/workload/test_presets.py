"""Presets: the contract `tokbench run` relies on, and reproducibility."""

import numpy as np
import pytest

from tokbench.errors import UserError
from tokbench.workload import WorkloadOptions, list_presets, load_table, load_workload

REQUIRED = {
    "quick",
    "high-variance",
    "high-variance-online",
    "tiny",
    "chat",
    "summarization",
    "code",
    "agentic",
    "long-context",
    "uniform",
}


def test_required_presets_exist():
    assert REQUIRED <= set(list_presets())


@pytest.mark.parametrize("preset", ["high-variance", "quick"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_high_variance_shapes_keep_their_promise(preset, seed):
    w = load_workload(preset, seed=seed, vocab_size=32000, max_model_len=2048)
    prompts = np.array([r.prompt_len for r in w.requests])
    outputs = np.array([r.max_tokens for r in w.requests])
    assert w.is_offline and len(w.requests) == {"high-variance": 128, "quick": 48}[preset]
    for values in (prompts, outputs):
        p10, p90 = np.percentile(values, [10, 90])
        assert p90 / p10 >= 4
    assert 60 <= np.median(prompts) <= 150 and 25 <= np.median(outputs) <= 70
    assert (prompts + outputs).max() <= 1024


def test_online_variant_and_tiny():
    online = load_workload("high-variance-online", vocab_size=1000, max_model_len=2048)
    arrivals = [r.arrival_s for r in online.requests]
    assert arrivals[0] == 0 and arrivals == sorted(arrivals) and arrivals[-1] > 0
    tiny = load_workload("tiny", vocab_size=1000, max_model_len=2048)
    assert len(tiny.requests) == 16 and tiny.is_offline
    assert max(r.prompt_len + r.max_tokens for r in tiny.requests) <= 64


def test_same_seed_same_tokens_other_seed_differs():
    a = load_workload("chat", seed=3, vocab_size=5000, max_model_len=4096)
    b = load_workload("chat", seed=3, vocab_size=5000, max_model_len=4096)
    c = load_workload("chat", seed=4, vocab_size=5000, max_model_len=4096)
    assert a.requests == b.requests
    assert [r.prompt_token_ids for r in a.requests] != [r.prompt_token_ids for r in c.requests]


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_preset_fits_max_model_len(name):
    w = load_workload(name, vocab_size=1000, max_model_len=2048, options=WorkloadOptions(num_requests=40))
    assert len(w.requests) == 40
    for r in w.requests:
        assert r.prompt_len >= 1 and r.max_tokens >= 1 and r.prompt_len + r.max_tokens <= 2048
        assert all(0 <= t < 1000 for t in r.prompt_token_ids)
    assert [r.arrival_s for r in w.requests] == sorted(r.arrival_s for r in w.requests)


def test_clipping_is_counted_and_drop_removes():
    clipped = load_workload("long-context", vocab_size=1000, max_model_len=4096)
    assert clipped.source["clipped_over_length"] == len(clipped.requests)  # every prompt is >= 16k
    dropped = load_table("summarization", max_model_len=2048, options=WorkloadOptions(over_length="drop"))
    full = load_table("summarization")
    assert dropped.source["dropped_over_length"] == int(((full.prompt_len + full.output_len) > 2048).sum()) > 0
    assert len(dropped) == len(full) - dropped.source["dropped_over_length"]


def test_shared_prefix_gives_identical_leading_tokens():
    w = load_workload("agentic", vocab_size=32000, max_model_len=8192, options=WorkloadOptions(num_requests=40))
    same_group = w.requests[0].prompt_token_ids[:2048], w.requests[16].prompt_token_ids[:2048]
    assert same_group[0] == same_group[1]
    assert w.requests[0].prompt_token_ids[:2048] != w.requests[1].prompt_token_ids[:2048]
    assert w.requests[0].prompt_token_ids[2048:2100] != w.requests[16].prompt_token_ids[2048:2100]


def test_unknown_preset_lists_known_ones():
    with pytest.raises(UserError, match="high-variance"):
        load_workload("no-such-preset", vocab_size=10, max_model_len=100)


def test_rate_scale_and_offline_options():
    base = load_table("chat")
    faster = load_table("chat", options=WorkloadOptions(rate_scale=2.0))
    assert np.allclose(faster.arrival_s, base.arrival_s / 2)
    assert not load_table("chat", options=WorkloadOptions(offline=True)).arrival_s.any()
