"""Paged KV bookkeeping: allocation, growth, free and reuse never leak or double-hand a block."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.sequence import Sequence
from tokbench.workload.types import Request


def _seq(i: int, n: int = 4) -> Sequence:
    return Sequence(Request(i, 0.0, tuple(range(n)), 4))


ops = st.lists(st.tuples(st.sampled_from(["grow", "free"]), st.integers(0, 7), st.integers(1, 200)), max_size=80)


@settings(max_examples=200, deadline=None)
@given(ops=ops, block_size=st.sampled_from([1, 4, 16]), capacity=st.integers(16, 600))
def test_blocks_are_conserved_and_never_shared(ops, block_size, capacity):
    kv = PagedKV(capacity, block_size)
    seqs = {i: _seq(i) for i in range(8)}
    lengths: dict[int, int] = {}
    for op, i, n in ops:
        seq = seqs[i]
        if op == "grow":
            target = lengths.get(i, 0) + n
            before = kv.num_free_blocks
            ok = kv.allocate(seq, target)
            if ok:
                lengths[i] = target
                assert len(kv.block_tables[i]) == kv.blocks_for(target)
            else:
                assert kv.num_free_blocks == before  # a failed allocation changes nothing
        elif kv.holds(seq):
            kv.free(seq)
            lengths.pop(i)
        owned = [b for t in kv.block_tables.values() for b in t]
        assert len(owned) == len(set(owned)), "a block is in two tables"
        assert len(owned) + kv.num_free_blocks == kv.num_blocks
        assert kv.reserved_tokens() == len(owned) * block_size
    for i in list(lengths):
        kv.free(seqs[i])
    assert kv.num_free_blocks == kv.num_blocks and kv.reserved_tokens() == 0 and kv.num_holders == 0


def test_slots_follow_the_block_table():
    kv = PagedKV(64, 4)
    a, b = _seq(0), _seq(1)
    assert kv.allocate(a, 4) and kv.allocate(b, 4) and kv.allocate(a, 6)
    table = kv.block_tables[0]
    assert kv.slots(a, 0, 6) == [table[0] * 4 + i for i in range(4)] + [table[1] * 4, table[1] * 4 + 1]


def test_allocation_fails_cleanly_when_blocks_run_out():
    kv = PagedKV(32, 16)
    a, b = _seq(0), _seq(1)
    assert kv.allocate(a, 17)
    assert not kv.allocate(b, 1)
    kv.free(a)
    assert kv.allocate(b, 32)
