"""CUDA-graph decode staging kept from step to step gives exactly what staging from scratch gives,
while rows join, leave, reorder, cross into new blocks, hold blocks ahead, are preempted and come
back with other blocks, and (padded plans) finish in place."""

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tokbench.engine.cuda_graphs import bucket_for, graph_buckets
from tokbench.engine.decode_staging import DecodeStaging, stage_decode
from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.sequence import Sequence
from tokbench.workload.types import Request

TOP, BLOCK, MAX_LEN = 16, 4, 64
WIDTH = MAX_LEN // BLOCK


def _same(got, want):
    assert got.bucket == want.bucket and got.samples == want.samples
    assert got.longs.tolist() == want.longs.tolist() and got.ctx_lens.tolist() == want.ctx_lens.tolist()
    for name in ("block_table", "bases"):
        a, b = getattr(got, name), getattr(want, name)
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist(), name


def _kept(staging, plan, kv, bucket):
    return staging.view(bucket, staging.stage(plan, kv, bucket))


def _new_seq(rng, i):
    seq = Sequence(Request(i, 0.0, tuple(rng.randrange(1, 1000) for _ in range(rng.randrange(1, 20))), 40))
    seq.num_computed = len(seq.token_ids) - 1
    return seq


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_paged_staging_kept_across_steps_equals_staging_from_scratch(seed):
    rng = random.Random(seed)
    kv, staging, buckets = PagedKV(4 * TOP * MAX_LEN, BLOCK), DecodeStaging(TOP, WIDTH), graph_buckets(TOP)
    running, next_id = [], 0
    for _ in range(60):
        event = rng.random()
        if (event < 0.3 or not running) and len(running) < TOP:  # a row joins
            running.insert(rng.randrange(len(running) + 1), _new_seq(rng, next_id))
            next_id += 1
        elif event < 0.4:  # a row leaves
            kv.free(running.pop(rng.randrange(len(running))))
        elif event < 0.5:  # preempted and back at once: the same sequence on the same row, other blocks
            seq = rng.choice(running)
            kv.free(seq)
            first, other = _new_seq(rng, next_id), _new_seq(rng, next_id + 1)
            next_id += 2
            kv.allocate(first, 1)  # takes the freed row and first block
            kv.allocate(other, 1)  # keeps the next block
            kv.free(first)  # the row comes back to `seq`, its second block will not
        elif event < 0.55:
            rng.shuffle(running)
        running = [q for q in running if len(q.token_ids) < MAX_LEN]
        if not running:
            continue
        for seq in running:  # some hold blocks ahead of their context
            assert kv.allocate(seq, min(MAX_LEN, len(seq.token_ids) + rng.choice([0, 0, 0, BLOCK + 1])))
        plan = StepPlan(tuple(SeqChunk(q, len(q.token_ids) - 1, 1) for q in running), "packed")
        bucket = bucket_for(len(running), buckets)
        _same(_kept(staging, plan, kv, bucket), stage_decode(plan, kv, bucket, WIDTH))
        for seq in running:
            seq.num_computed += 1
            seq.token_ids.append(rng.randrange(1, 1000))


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_padded_contiguous_staging_kept_across_steps_equals_staging_from_scratch(seed):
    rng = random.Random(seed)
    kv, staging, buckets = ContiguousKV(TOP * MAX_LEN), DecodeStaging(TOP, 0), graph_buckets(TOP)
    for group in range(4):  # a padded batch at a time, rows finishing in place
        rows = [_new_seq(rng, 100 * group + i) for i in range(rng.randrange(1, TOP + 1))]
        assert kv.reserve_group(rows, MAX_LEN)
        done = [False] * len(rows)
        for _ in range(rng.randrange(1, 12)):
            plan = StepPlan(tuple(SeqChunk(q, len(q.token_ids) - (0 if d else 1), 0 if d else 1)
                                  for q, d in zip(rows, done)), "padded", padded_len=1)
            bucket = bucket_for(len(rows), buckets)
            _same(_kept(staging, plan, kv, bucket), stage_decode(plan, kv, bucket, 0))
            for q, d in zip(rows, done):
                if not d:
                    q.num_computed += 1
                    q.token_ids.append(rng.randrange(1, 1000))
            done = [d or rng.random() < 0.2 for d in done]
            if all(done):
                break
        for q in rows:
            kv.free(q)


def test_a_row_is_rewritten_only_when_its_sequence_or_block_count_changes():
    kv, staging = PagedKV(TOP * MAX_LEN, BLOCK), DecodeStaging(TOP, WIDTH)
    rng = random.Random(0)
    a, b = _new_seq(rng, 0), _new_seq(rng, 1)
    for q in (a, b):
        kv.allocate(q, len(q.token_ids))
    staging.stage(StepPlan((SeqChunk(a, len(a.token_ids) - 1, 1), SeqChunk(b, len(b.token_ids) - 1, 1)), "packed"),
                  kv, 2)
    staging.table[:2, -1] = 7  # a mark past every row's context: kept where the row is not rewritten
    b.token_ids.extend([5] * (BLOCK - len(b.token_ids) % BLOCK + 1))  # b crosses into a new block
    kv.allocate(b, len(b.token_ids))
    staging.stage(StepPlan((SeqChunk(a, len(a.token_ids) - 1, 1), SeqChunk(b, len(b.token_ids) - 1, 1)), "packed"),
                  kv, 2)
    assert staging.table[:2, -1].tolist() == [7, 0]
    np.testing.assert_array_equal(staging.table[1, : len(kv.block_tables[1])], kv.block_tables[1])


def test_another_cache_restages_every_row():
    rng, staging = random.Random(1), DecodeStaging(TOP, WIDTH)
    seq = Sequence(Request(0, 0.0, (3, 4), 8))
    plan = StepPlan((SeqChunk(seq, 1, 1),), "packed")
    for blocks_before in (1, 2):  # the same holding number (the cache's second) in both, other blocks
        kv = PagedKV(TOP * MAX_LEN, BLOCK)
        kv.allocate(_new_seq(rng, 1), blocks_before * BLOCK)
        kv.allocate(seq, 2)
        assert _kept(staging, plan, kv, 1).block_table[0].tolist() == [blocks_before] + [0] * (WIDTH - 1)
