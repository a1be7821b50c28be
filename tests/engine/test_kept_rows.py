"""The model's last layer on the sampling rows only (LlamaModel.forward's `keep`) gives those rows'
hidden states and tokens as the full forward pass does.

One packed step mixes every kind of chunk: a whole prompt, a chunk continuing a cached prefix that
samples, one that does not (its rows only feed the KV cache), and decode rows, on paged and
contiguous KV. The SDPA backend then attends for the sampling chunks' last queries alone.
"""

import pytest
import torch

from tokbench.engine.attention.sdpa import SDPABackend
from tokbench.engine.kv_contiguous import ContiguousKV
from tokbench.engine.kv_paged import PagedKV
from tokbench.engine.kv_storage import KVStorage
from tokbench.engine.plan import SeqChunk, StepPlan
from tokbench.engine.sequence import Sequence
from tokbench.engine.step_inputs import build_step_inputs
from tokbench.workload.types import Request

CPU = torch.device("cpu")
MAX_LEN = 128
# (tokens known, computed before the step, new this step): the chunk samples when it reaches the last token.
ROWS = [(40, 0, 40), (60, 20, 40), (90, 10, 30), (35, 34, 1), (70, 69, 1), (50, 0, 17)]


def _step(kv_layout: str):
    gen = torch.Generator().manual_seed(3)
    seqs = []
    for i, (known, computed, _) in enumerate(ROWS):
        seq = Sequence(Request(i, 0.0, tuple(torch.randint(4, 32000, (known,), generator=gen).tolist()), 8))
        seq.num_computed = computed
        seqs.append(seq)
    kv = PagedKV(4096, 16) if kv_layout == "paged" else ContiguousKV(4096)
    for seq, (_, computed, n) in zip(seqs, ROWS):
        assert kv.allocate(seq, computed + n) if kv_layout == "paged" else kv.reserve(seq, MAX_LEN)
    plan = StepPlan(tuple(SeqChunk(s, c, n) for s, (_, c, n) in zip(seqs, ROWS)), "packed")
    return build_step_inputs(plan, kv, CPU, MAX_LEN)


@pytest.mark.parametrize("kv_layout", ["paged", "contiguous"])
def test_kept_rows_equal_the_full_forward(tiny_model, kv_layout):
    model, cfg = tiny_model.model, tiny_model.cfg
    inputs = _step(kv_layout)
    assert inputs.samples == [True, True, False, True, True, False]
    storage = KVStorage(cfg, 4096, torch.float32, CPU, head_major=True, read_slack=MAX_LEN)
    for k in storage.k + storage.v:  # a cached prefix to continue from
        k.normal_(generator=torch.Generator().manual_seed(k.numel() % 1000))
    backend = SDPABackend()
    with torch.inference_mode():
        full = model(inputs.input_ids, inputs.positions, backend.bind(inputs, storage))
        kept = model(inputs.input_ids, inputs.positions, backend.bind(inputs, storage), inputs.sample_index)
    want = full.index_select(0, inputs.sample_index)
    assert kept.shape == want.shape == (4, cfg.hidden_size)
    # The last query attends alone rather than with its chunk: the same sums up to float rounding.
    torch.testing.assert_close(kept, want, rtol=1e-5, atol=1e-5)
    assert model.greedy(kept).tolist() == model.greedy(want).tolist()


def test_keep_of_no_rows_gives_no_rows(tiny_model):
    inputs = _step("paged")
    storage = KVStorage(tiny_model.cfg, 4096, torch.float32, CPU, head_major=True, read_slack=MAX_LEN)
    none = torch.zeros(0, dtype=torch.long)
    with torch.inference_mode():
        hidden = tiny_model.model(inputs.input_ids, inputs.positions, SDPABackend().bind(inputs, storage), none)
    assert hidden.shape == (0, tiny_model.cfg.hidden_size)
    assert tiny_model.model.greedy(hidden).tolist() == []
