"""`hf-generate`: transformers' padded `generate`, i.e. static batching done by transformers.

Batches are formed as tokbench's static-padded strategy forms them (arrival order, at most
max_num_seqs, each row reserving the longest prompt + longest output within the KV budget); each
batch is left-padded to its longest prompt and decodes until its longest output. A row's tokens
past its own max_tokens are computed (that is the cost of static batching) and dropped.
"""

from __future__ import annotations

import time

import torch

from tokbench.peers.arrivals import ArrivalQueue
from tokbench.peers.hf_model import greedy_config, hf_engine_info, load_hf_model
from tokbench.peers.records import PeerRequest, PeerRun, make_run
from tokbench.peers.settings import PeerSettings
from tokbench.workload.types import Request
from tokbench.workload.warmup import warmup_requests


class _StepTimes:
    """A `generate` streamer that only notes when each step's tokens exist (the first put is the prompt)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def put(self, value) -> None:
        self.times.append(time.perf_counter())

    def end(self) -> None:
        pass


def take_batch(waiting: list[Request], max_num_seqs: int, kv_budget_tokens: int) -> list[Request]:
    """The longest arrival-order prefix whose padded rectangle fits the KV budget (at least one)."""
    batch: list[Request] = []
    longest_prompt = longest_output = 0
    for r in waiting:
        p, o = max(longest_prompt, r.prompt_len), max(longest_output, r.max_tokens)
        if batch and (len(batch) == max_num_seqs or (len(batch) + 1) * (p + o) > kv_budget_tokens):
            break
        batch.append(r)
        longest_prompt, longest_output = p, o
    return batch


@torch.inference_mode()
def _generate(model, batch: list[Request], device: torch.device) -> tuple[list[list[int]], list[float]]:
    """(tokens per row, wall time of each decode position); rows are left-padded with id 0."""
    longest = max(r.prompt_len for r in batch)
    ids = torch.zeros((len(batch), longest), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, r in enumerate(batch):
        ids[row, longest - r.prompt_len:] = torch.tensor(r.prompt_token_ids)
        mask[row, longest - r.prompt_len:] = 1
    steps = _StepTimes()
    new = max(r.max_tokens for r in batch)
    out = model.generate(ids.to(device), attention_mask=mask.to(device), streamer=steps,
                         generation_config=greedy_config(max_new_tokens=new))
    tokens = out[:, longest:].tolist()
    return [row[:r.max_tokens] for row, r in zip(tokens, batch)], steps.times[1:]


def run_hf_generate(s: PeerSettings) -> PeerRun:
    model = load_hf_model(s.model_dir, s.dtype, s.device)
    if s.warmup:
        _generate(model, warmup_requests(s.requests), s.device)
    queue, waiting, records = ArrivalQueue(s.requests), [], []
    queue.start()
    while queue or waiting:
        waiting += queue.arrived()
        if not waiting:
            queue.wait_for_next()
            continue
        batch = take_batch(waiting, s.sched.max_num_seqs, s.sched.kv_budget_tokens)
        del waiting[:len(batch)]
        started = queue.now()
        outputs, times = _generate(model, batch, s.device)
        for r, tokens in zip(batch, outputs):
            token_times = [queue.since_start(t) for t in times[:len(tokens)]]
            records.append(PeerRequest(r.request_id, r.arrival_s, started, r.prompt_len, tokens, token_times,
                                       finish_s=token_times[-1]))
        s.on_progress(len(records))
    knobs = {"max_num_seqs": s.sched.max_num_seqs, "kv_budget_tokens": s.sched.kv_budget_tokens,
             "kv_layout": "contiguous", "padding": "left, to the batch's longest prompt",
             "attention": "sdpa"}
    return make_run("hf-generate", "hf", knobs, records, cost=s.cost, slo=s.slo, engine=hf_engine_info())

