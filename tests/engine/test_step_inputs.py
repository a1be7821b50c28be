"""The vectorised host side of a step against plain per-token definitions.

build_step_inputs (numpy over the KV caches' persistent arrays) must give, for any plan, exactly
what a token-by-token reading of the plan gives; the recorder's one-pass counts must equal
StepPlan's and SeqChunk's own properties; PagedKV's persistent table must follow its block lists
through growth, frees and row reuse.
"""

import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.recorder import StepCounts
from tokbench.engine.sequence import Sequence
from tokbench.engine.step_columns import columns, read_columns, step_scope
from tokbench.engine.step_inputs import build_step_inputs, to_device
from tokbench.workload.types import Request

MAX_LEN = 64
CPU = torch.device("cpu")


def _plan(draw_rows, layout: str, kv_layout: str, seed: int):
    """rows: (computed, new tokens this step, tokens known) per sequence -> plan, kv."""
    rng = random.Random(seed)
    seqs = []
    for i, (computed, n, known) in enumerate(draw_rows):
        prompt = max(1, min(known, rng.randint(1, known)))
        seq = Sequence(Request(i, 0.0, tuple(rng.randrange(1000) for _ in range(prompt)), MAX_LEN))
        seq.token_ids.extend(rng.randrange(1000) for _ in range(known - prompt))
        seq.num_computed = computed
        seqs.append(seq)
    if kv_layout == "paged":
        kv = PagedKV(4096, 4)
        blocks = list(kv._free_blocks)
        rng.shuffle(blocks)
        kv._free_blocks.clear()
        kv._free_blocks.extend(blocks)
        for seq, (c, n, _) in zip(seqs, draw_rows):
            assert kv.allocate(seq, c + n + rng.randint(0, 5))  # sometimes more blocks than the step needs
    else:
        kv = ContiguousKV(4096)
        if layout == "padded":
            kv.reserve(Sequence(Request(-1, 0.0, (1,), 1)), 7)
            assert kv.reserve_group(seqs, MAX_LEN)
        else:
            for seq in seqs:
                kv.reserve(Sequence(Request(-1 - seq.seq_id, 0.0, (1,), 1)), rng.randint(1, 9))
                assert kv.reserve(seq, MAX_LEN + rng.randint(0, 3))
    chunks = tuple(SeqChunk(seq, c, n) for seq, (c, n, _) in zip(seqs, draw_rows))
    padded_len = max(n for _, n, _ in draw_rows) + (1 if seed % 3 == 0 else 0) if layout == "padded" else 0
    return StepPlan(chunks, layout, padded_len=padded_len), kv


def _expected(plan: StepPlan, kv) -> dict:
    """The plan read token by token, with nothing vectorised."""
    ids, pos, slots, real, sample = [], [], [], [], []
    row_len = plan.padded_len if plan.layout == "padded" else 0
    for chunk in plan.chunks:
        seq, start, n = chunk.seq, chunk.start, chunk.length
        offset = len(ids)
        for p in range(start, start + n):
            ids.append(seq.token_ids[p])
            pos.append(p)
            real.append(len(ids) - 1)
        if n:
            slots.extend(kv.slots(seq, start, start + n))
        for j in range(row_len - n if row_len else 0):
            ids.append(0)
            pos.append(min(min(start + n, MAX_LEN - 1) + j, MAX_LEN - 1))
        if chunk.samples:
            sample.append(offset + n - 1)
    return {"input_ids": ids, "positions": pos, "slot_mapping": slots, "sample_index": sample,
            "real_index": real if row_len else None}


rows = st.lists(st.tuples(st.integers(0, 40), st.integers(1, 12), st.integers(0, 4)), min_size=1, max_size=9)


@settings(max_examples=150, deadline=None)
@given(rows=rows, layout=st.sampled_from(["packed", "padded"]), kv_layout=st.sampled_from(["paged", "contiguous"]),
       decode=st.booleans(), seed=st.integers(0, 1000))
def test_step_inputs_match_a_token_by_token_reading(rows, layout, kv_layout, decode, seed):
    if layout == "padded":
        kv_layout = "contiguous"
    # (computed, n, extra known tokens past the chunk): the chunk samples when extra == 0.
    draw = [(c, 1 if decode else n, c + (1 if decode else n) + (0 if decode or x > 2 else x)) for c, n, x in rows]
    if layout == "padded" and decode:
        draw[-1] = (draw[-1][0] + 1, 0, draw[-1][0] + 1)  # a finished row: no token this step
    plan, kv = _plan(draw, layout, kv_layout, seed)
    inputs = build_step_inputs(plan, kv, CPU, MAX_LEN)
    want = _expected(plan, kv)
    for name, values in want.items():
        got = getattr(inputs, name)
        assert (got is None) == (values is None), name
        if values is not None:
            assert got.dtype == torch.long and got.tolist() == values, name
    assert inputs.samples == [c.samples for c in plan.chunks]
    assert inputs.q_lens == [c.length for c in plan.chunks]
    assert inputs.ctx_lens == [c.start + c.length for c in plan.chunks]
    if kv_layout == "paged":
        width = inputs.block_table.shape[1]
        assert width == max(1, -(-max(inputs.ctx_lens) // kv.block_size))
        for r, c in enumerate(plan.chunks):
            table = kv.block_tables[c.seq.seq_id][:width]
            assert inputs.block_table[r].tolist() == table + [0] * (width - len(table))
    else:
        assert inputs.bases == [kv.base(c.seq) for c in plan.chunks]


def test_a_chunk_beyond_its_reservation_is_refused():
    plan, kv = _plan([(0, 5, 5)], "packed", "paged", 1)
    seq = plan.chunks[0].seq
    seq.token_ids.extend(range(40))
    beyond = StepPlan((SeqChunk(seq, 0, len(seq.token_ids)),), "packed")
    with pytest.raises(IndexError):
        build_step_inputs(beyond, kv, CPU, MAX_LEN)
    plan, kv = _plan([(0, 5, 5)], "packed", "contiguous", 1)
    seq = plan.chunks[0].seq
    seq.token_ids.extend(range(80))
    with pytest.raises(IndexError):
        build_step_inputs(StepPlan((SeqChunk(seq, 0, len(seq.token_ids)),), "packed"), kv, CPU, MAX_LEN)


@settings(max_examples=150, deadline=None)
@given(rows=rows, layout=st.sampled_from(["packed", "padded"]), seed=st.integers(0, 1000))
def test_step_counts_equal_the_plans_own_properties(rows, layout, seed):
    draw = [(c, n, c + n + (x if x > 2 else 0)) for c, n, x in rows]
    plan, _ = _plan(draw, layout, "contiguous", seed)
    counts = StepCounts.of(read_columns(plan))
    assert counts.kind == plan.kind and counts.real_tokens == plan.real_tokens
    assert counts.padded_tokens == plan.padded_tokens and counts.prefill_tokens == plan.prefill_tokens
    assert counts.decode_tokens == plan.decode_tokens
    assert counts.sampled_tokens == sum(c.samples for c in plan.chunks)
    assert counts.attention_pairs == sum(c.length * (c.start + c.length) for c in plan.chunks)
    assert counts.kv_read_tokens == sum(c.start + c.length for c in plan.chunks if c.length)


def test_the_loops_columns_are_shared_only_for_its_own_plan():
    plan, _ = _plan([(3, 1, 4), (0, 6, 6)], "packed", "paged", 0)
    other, _ = _plan([(1, 1, 2)], "packed", "paged", 0)
    outside = columns(plan)
    assert outside is not columns(plan)  # no step running: read afresh every time
    with step_scope(plan) as cols:
        assert columns(plan) is cols
        assert columns(other) is not cols and columns(other).plan is other
        assert cols.samples == [c.samples for c in plan.chunks]
    assert columns(plan) is not cols


def test_off_cpu_inputs_travel_as_one_buffer_split_into_views():
    parts = to_device([np.arange(3), np.array([7, 8], dtype=np.int32), np.arange(0)], torch.device("meta"))
    assert [p.shape[0] for p in parts] == [3, 2, 0] and all(p.dtype == torch.long for p in parts)
    assert parts[0]._base is not None and parts[0]._base is parts[1]._base  # views of one transfer


ops = st.lists(st.tuples(st.sampled_from(["grow", "free"]), st.integers(0, 20), st.integers(1, 90)), max_size=120)


@settings(max_examples=150, deadline=None)
@given(ops=ops, block_size=st.sampled_from([1, 4, 16]))
def test_paged_persistent_table_follows_the_block_lists(ops, block_size):
    kv = PagedKV(4000, block_size)
    seqs = {i: Sequence(Request(i, 0.0, (1,), 1)) for i in range(21)}
    lengths: dict[int, int] = {}
    for op, i, n in ops:
        if op == "grow":
            if kv.allocate(seqs[i], lengths.get(i, 0) + n):
                lengths[i] = lengths.get(i, 0) + n
        elif i in lengths:
            kv.free(seqs[i])
            del lengths[i]
        held = [seqs[i] for i in lengths]
        if not held:
            continue
        rows = kv.rows_of(held)
        assert len(set(rows.tolist())) == len(held)  # one row per holder
        width = max(len(kv.block_tables[s.seq_id]) for s in held)
        table = kv.table_array(rows, width)
        for r, s in enumerate(held):
            blocks = kv.block_tables[s.seq_id]
            assert table[r].tolist() == blocks + [0] * (width - len(blocks))
            positions = list(range(lengths[s.seq_id]))
            got = kv.slot_array(np.full(len(positions), rows[r]), np.array(positions))
            assert got.tolist() == kv.slots(s, 0, lengths[s.seq_id])
