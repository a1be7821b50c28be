"""Contiguous reservation: first-fit runs, group reservations side by side, frees merge back."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.sequence import Sequence
from tokbench.workload.types import Request


def _seq(i: int) -> Sequence:
    return Sequence(Request(i, 0.0, (1, 2, 3), 4))


@settings(max_examples=200, deadline=None)
@given(ops=st.lists(st.tuples(st.booleans(), st.integers(0, 9), st.integers(1, 120)), max_size=60),
       capacity=st.integers(1, 500))
def test_reservations_never_overlap_and_all_return(ops, capacity):
    kv = ContiguousKV(capacity)
    seqs = [_seq(i) for i in range(10)]
    for reserve, i, n in ops:
        if reserve and not kv.holds(seqs[i]):
            fits = kv.largest_free_run() >= n
            assert kv.reserve(seqs[i], n) == fits
        elif not reserve and kv.holds(seqs[i]):
            kv.free(seqs[i])
        spans = sorted((kv.base(s), kv.base(s) + kv.reservation(s)) for s in seqs if kv.holds(s))
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
        assert all(0 <= s and e <= capacity for s, e in spans)
        assert kv.reserved_tokens() + kv.free_tokens() == capacity
    for s in seqs:
        if kv.holds(s):
            kv.free(s)
    assert kv.largest_free_run() == capacity and kv.reserved_tokens() == 0


def test_group_rows_sit_side_by_side():
    kv = ContiguousKV(100)
    rows = [_seq(i) for i in range(3)]
    assert kv.reserve_group(rows, 20)
    assert [kv.base(s) for s in rows] == [0, 20, 40]
    assert kv.slots(rows[1], 2, 5) == [22, 23, 24]
    assert not kv.reserve(_seq(9), 41)
