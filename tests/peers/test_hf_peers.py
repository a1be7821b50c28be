"""transformers as a peer: padded `generate` (static batching) and continuous batching, on the
exported weights, offline and with timed arrivals. Skipped, with the reason, without transformers."""

import math

import pytest
import torch

from tests.peers.conftest import SMALL, make_requests
from tests.peers.peer_checks import check_peer_run
from tokbench.engine.policy import SchedulerConfig
from tokbench.metrics.cost_model import CostModel
from tokbench.peers import run_peer
from tokbench.peers.hf_generate import take_batch
from tokbench.peers.settings import PeerSettings
from tokbench.verify import reference_outputs
from tokbench.workload.types import Request

pytest.importorskip("transformers", reason="the hf peer needs transformers: pip install 'tokbench[hf]'")
pytest.importorskip("psutil", reason="transformers' continuous batching needs psutil: pip install 'tokbench[hf]'")

pytestmark = pytest.mark.peer
PEERS = [("hf", "generate"), ("hf", "continuous")]


def _settings(model_dir, requests, **knobs) -> PeerSettings:
    sched = SchedulerConfig(kv_budget_tokens=knobs.pop("kv_budget_tokens", 4096), max_model_len=SMALL.max_model_len,
                            max_batch_tokens=64, **knobs)
    return PeerSettings(model_dir=model_dir, dtype=torch.float32, device=torch.device("cpu"), sched=sched,
                        requests=requests, cost=CostModel.of(SMALL, 4), warmup=False, threads=torch.get_num_threads())


@pytest.mark.parametrize("peer", PEERS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_offline_run_matches_the_reference(small_dir, requests_and_reference, peer):
    requests, reference = requests_and_reference
    run = run_peer(peer, _settings(small_dir, requests, max_num_seqs=4))
    assert run.name == f"hf-{peer[1]}" and run.backend == "hf"
    check_peer_run(run, requests, reference)
    assert run.describe()["knobs"]["kv_layout"] == ("contiguous" if peer[1] == "generate" else "paged")


@pytest.mark.parametrize("peer", PEERS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_timed_arrivals_are_not_seen_early(small_loaded, small_dir, peer):
    requests = make_requests(4, seed=5, spacing_s=0.4)
    run = run_peer(peer, _settings(small_dir, requests))
    check_peer_run(run, requests, reference_outputs(small_loaded, requests))
    # The last request arrives at 1.2 s: the run cannot have finished before that.
    assert run.summary["duration_s"] > 1.2


def test_static_batches_follow_static_padded_rules():
    reqs = [Request(i, 0.0, (5,) * p, o) for i, (p, o) in enumerate([(10, 5), (20, 5), (30, 40), (5, 5)])]
    assert [r.request_id for r in take_batch(reqs, max_num_seqs=2, kv_budget_tokens=10_000)] == [0, 1]
    # Three rows of (30 + 40) slots would exceed 200: the batch stops at two.
    assert [r.request_id for r in take_batch(reqs, max_num_seqs=8, kv_budget_tokens=200)] == [0, 1]
    # A request bigger than the budget still goes alone (tokbench's check rejects it before any run).
    assert [r.request_id for r in take_batch(reqs[2:], max_num_seqs=8, kv_budget_tokens=10)] == [2]


def test_static_batching_keeps_arrival_order_batches(small_dir, requests_and_reference):
    requests, reference = requests_and_reference
    run = run_peer(("hf", "generate"), _settings(small_dir, requests, max_num_seqs=4))
    sched = run.tables["requests"].set_index("request_id")["first_scheduled_s"]
    # Requests 0-3 are one batch, 4-5 the next, started only after the first one ended.
    assert sched[0] == sched[1] == sched[2] == sched[3] < sched[4] == sched[5]
    assert sched[4] >= run.tables["requests"].set_index("request_id").loc[[0, 1, 2, 3], "finish_s"].max()
    assert not math.isnan(run.summary["mean_ttft_ms"])
