"""`hf-continuous`: transformers' continuous batching (the manager behind `generate_batch`).

`generate_batch` gives every request the same max_new_tokens and takes them all at once, so the
run drives the same manager directly: each request is added at its arrival time with its own
max_new_tokens, and transformers records a timestamp per generated token. tokbench's knobs map to
ContinuousBatchingConfig: block_size -> page_size, KV budget -> num_blocks, max_batch_tokens,
max_num_seqs -> max_requests_per_batch; prefix sharing is off, as tokbench has none.

Not under torch.inference_mode(): the manager's worker thread then fails on its cache tensors.
"""

from __future__ import annotations

from tokbench.workload.warmup import warmup_requests
from tokbench.errors import UserError
from tokbench.peers.arrivals import ArrivalQueue
from tokbench.peers.hf_model import greedy_config, hf_engine_info, load_hf_model
from tokbench.peers.records import PeerRequest, PeerRun, make_run
from tokbench.peers.settings import PeerSettings
from tokbench.workload.types import Request

RESULT_TIMEOUT_S = 600.0  # no token from the manager for this long: it is stuck, not slow


def batching_config(s: PeerSettings):
    from transformers.generation import ContinuousBatchingConfig

    page = s.sched.block_size
    if page < 4:  # transformers' own lower bound
        raise UserError(f"--block-size {page}: transformers continuous batching needs a page size of at least 4")
    return ContinuousBatchingConfig(
        page_size=page, num_blocks=max(1, s.sched.kv_budget_tokens // page), max_batch_tokens=s.sched.max_batch_tokens,
        max_requests_per_batch=s.sched.max_num_seqs, allow_block_sharing=False, use_cuda_graph=False,
        use_async_batching=False, scheduler_type="fifo")


def _serve(manager, queue: ArrivalQueue, requests: list[Request], on_done) -> dict[str, object]:
    """Add each request when it arrives; collect every finished result."""
    results: dict[str, object] = {}
    while len(results) < len(requests):
        for r in queue.arrived():
            manager.add_request(list(r.prompt_token_ids), request_id=str(r.request_id), max_new_tokens=r.max_tokens,
                                record_timestamps=True, eos_token_id=-1)
        wait = max(0.0, queue.pending[0].arrival_s - queue.now()) if queue else RESULT_TIMEOUT_S
        result = manager.get_result(timeout=min(wait, RESULT_TIMEOUT_S) or 1e-3)
        if result is None:
            if not manager.is_running():
                raise RuntimeError("transformers' continuous batching thread stopped before every request finished")
            continue
        if result.is_finished():
            if result.error is not None:
                raise RuntimeError(f"transformers failed request {result.request_id}: {result.error}")
            results[result.request_id] = result
            on_done(len(results))
    return results


def run_hf_continuous(s: PeerSettings) -> PeerRun:
    model = load_hf_model(s.model_dir, s.dtype, s.device)
    cfg = batching_config(s)
    with model.continuous_batching_context_manager(generation_config=greedy_config(eos_token_id=-1), continuous_batching_config=cfg,
                                                   block=True, timeout=30, warmup=False) as manager:
        if s.warmup:
            warm = [r.__class__(-1 - r.request_id, 0.0, r.prompt_token_ids, r.max_tokens)
                    for r in warmup_requests(s.requests)]
            warm_queue = ArrivalQueue(warm)
            warm_queue.start()
            _serve(manager, warm_queue, warm, lambda done: None)
        queue = ArrivalQueue(s.requests)
        queue.start()
        results = _serve(manager, queue, s.requests, s.on_progress)
    records = []
    for r in s.requests:
        out = results[str(r.request_id)]
        times = [queue.since_start(t) for t in out.timestamps]
        records.append(PeerRequest(r.request_id, r.arrival_s, queue.since_start(out.lifespan[0]), r.prompt_len,
                                   list(out.generated_tokens), times, finish_s=times[-1]))
    knobs = {"page_size": cfg.page_size, "num_blocks": cfg.num_blocks, "max_batch_tokens": cfg.max_batch_tokens,
             "max_requests_per_batch": cfg.max_requests_per_batch, "allow_block_sharing": cfg.allow_block_sharing,
             "scheduler_type": cfg.scheduler_type, "kv_layout": "paged",
             "attention": model.config._attn_implementation}
    return make_run("hf-continuous", "hf", knobs, records, cost=s.cost, slo=s.slo, engine=hf_engine_info())
