"""How long repeated decodes last on paged KV (paged_rules.decodes_until_blocks_run_out): the count
the loop's shortcut trusts equals stepping the decodes one by one until a block is missing."""

from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.paged_rules import decodes_until_blocks_run_out, take_decode_blocks
from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.sequence import Sequence
from tokbench.workload.types import Request


def _decoding(kv: PagedKV, lengths: list[int], spare: list[int]) -> list[Sequence]:
    """Sequences holding `length` tokens (KV stored for all but the newest) and `spare` blocks past them."""
    seqs = []
    for i, (n, extra) in enumerate(zip(lengths, spare)):
        seq = Sequence(Request(request_id=i, prompt_token_ids=[0] * n, max_tokens=10_000, arrival_s=0.0))
        assert kv.allocate(seq, n - 1 + extra * kv.block_size)
        seqs.append(seq)
    return seqs


def _stepped(kv: PagedKV, seqs: list[Sequence]) -> int:
    """Decode steps taken one at a time, each seq's token stored in order, until one finds no block."""
    steps = 0
    while True:
        for seq in seqs:
            if not kv.allocate(seq, len(seq.token_ids)):
                return steps
            seq.token_ids.append(0)
        steps += 1


@settings(max_examples=300, deadline=None)
@given(block_size=st.sampled_from([1, 4, 16]), free=st.integers(0, 40),
       rows=st.lists(st.tuples(st.integers(2, 70), st.integers(0, 3)), min_size=1, max_size=8))
def test_decodes_until_blocks_run_out_is_the_step_by_step_count(block_size, free, rows):
    lengths, spare = [n for n, _ in rows], [s for _, s in rows]
    held = sum(-(-(n - 1 + s * block_size) // block_size) for n, s in rows)
    kv = PagedKV((held + free) * block_size, block_size)
    seqs = _decoding(kv, lengths, spare)
    assert kv.num_free_blocks == free
    predicted = decodes_until_blocks_run_out(kv, seqs)
    before = [len(q.token_ids) for q in seqs]
    assert predicted == _stepped(kv, seqs)
    # Taking the blocks of that many steps at once succeeds, and the step after finds one missing.
    kv2 = PagedKV((held + free) * block_size, block_size)
    seqs2 = _decoding(kv2, lengths, spare)
    take_decode_blocks(kv2, seqs2, predicted)
    assert not all(kv2.allocate(q, n + predicted) for q, n in zip(seqs2, before))
