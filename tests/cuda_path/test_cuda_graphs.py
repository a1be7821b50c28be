"""CUDA-graph decode: bucket choice, which plans replay, how a step is laid over a bucket, and the
static-buffer forward itself (run eagerly on CPU, Triton interpreted) giving the reference's tokens."""

from dataclasses import replace

import pytest

from tests.cuda_path.conftest import SMALL_KNOBS
from tests.cuda_path.scenarios import make_scenario
from tokbench.engine.cuda_graphs import bucket_for, graph_buckets, graphable
from tokbench.engine.decode_staging import stage_decode
from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.sequence import Sequence
from tokbench.workload.types import Request


def test_buckets():
    assert graph_buckets(1) == [1]
    assert graph_buckets(3) == [1, 2, 4]
    assert graph_buckets(128) == [1, 2, 4, *range(8, 129, 8)]
    assert graph_buckets(100)[-1] == 104
    buckets = graph_buckets(64)
    assert [bucket_for(n, buckets) for n in (1, 3, 5, 9, 64)] == [1, 4, 8, 16, 64]
    assert bucket_for(65, buckets) is None


def _seq(i, tokens, computed):
    s = Sequence(Request(i, 0.0, tuple(range(1, tokens + 1)), 8))
    s.num_computed = computed
    return s


def test_which_plans_replay():
    a, b = _seq(0, 10, 9), _seq(1, 6, 5)
    assert graphable(StepPlan((SeqChunk(a, 9, 1), SeqChunk(b, 5, 1)), "packed"))
    assert not graphable(StepPlan((SeqChunk(a, 9, 1), SeqChunk(b, 2, 4)), "packed"))  # a prefill chunk
    assert graphable(StepPlan((SeqChunk(a, 9, 1), SeqChunk(b, 6, 0)), "padded", padded_len=1))
    assert not graphable(StepPlan((SeqChunk(a, 0, 10), SeqChunk(b, 0, 6)), "padded", padded_len=10))


def test_stage_paged_decode_pads_the_bucket():
    s = make_scenario(rows=[(5, 1), (13, 1), (2, 1)], layout="packed", kv="paged", block_size=4)
    plan, kv = s.plan, s.inputs.kv
    staged = stage_decode(plan, kv, bucket=4, width=8)
    assert staged.positions[:3].tolist() == [5, 13, 2] and staged.ctx_lens.tolist() == [6, 14, 3, 1]
    assert staged.slots[3] == -1 and staged.slots[:3].tolist() == s.inputs.slot_mapping.tolist()
    seq1 = plan.chunks[1].seq
    assert staged.block_table[1].tolist() == kv.block_tables[seq1.seq_id][:4] + [0] * 4  # 14 keys: 4 blocks of 4
    assert staged.block_table[3].tolist() == [0] * 8 and staged.samples == [True, True, True, False]


def test_stage_padded_decode_keeps_finished_rows_as_padding():
    kv = ContiguousKV(256)
    rows = [_seq(0, 7, 6), _seq(1, 9, 9)]  # the second row is finished: no token this step
    rows[1].request = Request(1, 0.0, tuple(range(1, 5)), 5)  # 4 prompt + 5 outputs = 9 tokens: done
    assert kv.reserve_group(rows, 16)
    plan = StepPlan((SeqChunk(rows[0], 6, 1), SeqChunk(rows[1], 9, 0)), "padded", padded_len=1)
    staged = stage_decode(plan, kv, bucket=2, width=0)
    assert staged.bases.tolist() == [kv.base(rows[0]), 0] and staged.slots.tolist() == [kv.base(rows[0]) + 6, -1]
    assert staged.input_ids.tolist() == [7, 0] and staged.samples == [True, False]


class CountingGraphs:
    """Wraps DecodeGraphs to count the steps that really replayed."""

    def __init__(self, graphs):
        self.graphs, self.replays = graphs, 0
        self.last_prepare_s = 0.0

    def execute(self, plan, kv):
        tokens = self.graphs.execute(plan, kv)
        self.replays += tokens is not None
        self.last_prepare_s = self.graphs.last_prepare_s
        return tokens


@pytest.mark.parametrize("strategy", ["static-padded", "continuous", "tokenmaxxing"])
def test_static_buffer_decode_matches_reference(one_layer_model, engine_requests, engine_reference, strategy):
    pytest.importorskip("triton", reason="triton is not installed")
    from tokbench.benchmark.strategy_registry import resolve
    from tokbench.engine.cuda_graphs import DecodeGraphs
    from tokbench.engine.engine import Engine

    knobs = replace(SMALL_KNOBS, knobs={"chunk_size": 64}, max_batch_tokens=128)  # prefills end early: decode-only steps
    engine = Engine(one_layer_model, knobs.kv_budget_tokens, "triton")
    cls = resolve(strategy)
    graphs = DecodeGraphs(one_layer_model.model, engine.storage, engine.backend, graph_buckets(knobs.max_num_seqs),
                          one_layer_model.cfg.max_model_len, eager=True)
    graphs.capture(cls.kv_layout, knobs.block_size)
    engine.runner.graphs = counting = CountingGraphs(graphs)  # what Engine does on CUDA, eager here
    rec = engine.serve(cls, knobs, engine_requests)
    assert rec.outputs == engine_reference
    assert counting.replays > 0
