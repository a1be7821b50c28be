"""Rules the strategies on paged KV share: the admission watermark and newest-first preemption.

Blocks are taken as a sequence's tokens reach them, so running sequences keep asking for more.
A new request is admitted only while a watermark of free blocks stays for them to grow into; when
blocks run out anyway, the newest running sequence gives its KV back and is recomputed later
(vLLM's recompute preemption: nothing is lost, the oldest requests keep their progress).
"""

from __future__ import annotations

from collections import deque

from tokbench.engine.knobs import Knob
from tokbench.engine.kv_base import PagedKVCache
from tokbench.engine.policy import Strategy
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError

WATERMARK = Knob("watermark", float, 0.01, "Fraction of KV blocks kept free when admitting new requests.",
                 minimum=0.0, below=1.0)


def check_fits_blocks(kv: PagedKVCache, seq: Sequence) -> None:
    """UserError if `seq` at its full length needs more blocks than the whole pool holds."""
    blocks = kv.blocks_for(seq.final_len)
    if blocks > kv.num_blocks:
        raise UserError(f"request {seq.seq_id} needs {seq.final_len} KV slots = {blocks} blocks of "
                        f"{kv.block_size}; the KV budget holds {kv.num_blocks}")


def watermark_blocks(strategy: Strategy) -> int:
    kv: PagedKVCache = strategy.kv  # type: ignore[assignment]
    return int(strategy.knob("watermark") * kv.num_blocks)


def admits(kv: PagedKVCache, seq: Sequence, num_tokens: int, others_running: bool, keep_free: int) -> bool:
    """Whether a new request may take blocks for its first `num_tokens` now: only while `keep_free` blocks
    stay free, unless nothing else runs (then the head of the queue must go, or nothing ever would)."""
    return not others_running or kv.num_free_blocks - kv.blocks_needed(seq, num_tokens) >= keep_free


def make_room(strategy: Strategy, seq: Sequence, num_tokens: int, running: list[Sequence],
              waiting: deque[Sequence], protected: set[int]) -> bool:
    """Blocks for `seq`'s first `num_tokens`, preempting the newest running sequences not in `protected`
    (those already scheduled this step) until they fit. False if `seq` itself had to be preempted.

    `running` is in admission order; a victim leaves it and goes to the front of `waiting`."""
    kv: PagedKVCache = strategy.kv  # type: ignore[assignment]
    while not kv.allocate(seq, num_tokens):
        # seq itself is unprotected, so a victim always exists.
        victim = next(s for s in reversed(running) if s.seq_id not in protected)
        running.remove(victim)
        strategy.preempt(victim)
        waiting.appendleft(victim)
        if victim is seq:
            return False
    return True


def _first_new_blocks(kv: PagedKVCache, seqs: list[Sequence]) -> list[int]:
    """For each of `seqs` (KV stored for all but its newest token), the decode step from now (1 = the
    next) whose token first needs a new block; the n-th step stores num_tokens + n - 1 tokens, so after
    that one every block_size-th step needs another."""
    bs, tables = kv.block_size, kv.block_tables
    return [len(tables[s.seq_id]) * bs - len(s.token_ids) + 2 for s in seqs]


def decodes_until_blocks_run_out(kv: PagedKVCache, seqs: list[Sequence]) -> int:
    """How many more decode steps all of `seqs` can take, taking blocks as their tokens reach them,
    before one of them finds no free block."""
    first, bs, free = _first_new_blocks(kv, seqs), kv.block_size, kv.num_free_blocks
    first.sort()
    if first[-1] - first[0] < bs:
        # The blocks are taken at first[0], ..., first[-1], then the same again bs steps later, and so
        # on: the (free + 1)-th, the first with no free block, is first[free % n] + (free // n) * bs.
        n = len(first)
        return first[free % n] + (free // n) * bs - 1

    def needed(steps: int) -> int:
        return sum([(steps - f) // bs + 1 for f in first if f <= steps])

    lo, hi = min(first) - 1, max(first) + free * bs  # needed(lo) = 0 <= free < needed(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if needed(mid) <= free else (lo, mid)
    return lo


def take_decode_blocks(kv: PagedKVCache, seqs: list[Sequence], steps: int) -> list[int]:
    """Blocks for `steps` decode steps of `seqs`: what those steps would take, each sequence's at once
    (which block ids go to which sequence may differ from stepping; nothing recorded depends on them);
    the KV slots each step newly reserved."""
    bs, new = kv.block_size, [0] * steps
    for seq, first in zip(seqs, _first_new_blocks(kv, seqs)):
        if first > steps:
            continue
        if not kv.allocate(seq, len(seq.token_ids) - 1 + steps):
            raise RuntimeError("a repeated decode step found no free block (decodes_until_blocks_run_out)")
        for step in range(first - 1, steps, bs):
            new[step] += bs
    return new
