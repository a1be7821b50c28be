"""Runs in its own process (`python -m tokbench.peers.vllm_worker JOB RESULT`): the workload
through vLLM's LLMEngine, timed from vLLM's own per-request timestamps.

A subprocess keeps vLLM's process-wide settings (thread binding, torch.compile caches, its
patched torch.set_num_threads) away from tokbench's engine, and gives vLLM the
`if __name__ == "__main__"` guard it needs. The engine core runs in this process
(VLLM_ENABLE_V1_MULTIPROCESSING=0), so one `step()` is one engine step and no second process
competes for the cores. Imports from tokbench only the standard-library helper that reports
huge pages, so it starts as fast as vLLM does.

JOB (JSON): model_dir, dtype, seed, engine_args, requests and warmup as
[request_id, arrival_s, prompt_token_ids, max_tokens]. RESULT (JSON): one record per request with
times in seconds from the start of the timed run, plus what vLLM resolved its settings to.
Progress goes to stdout as "done N" lines.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque

from tokbench.engine.host_memory import huge_pages_status
from tokbench.model.onednn_cache import primitive_cache_status

CPU_BLOCK_MULTIPLE = 32  # vLLM's CPU attention (CPU_ATTN) only takes block sizes that are multiples of 32


def build_engine(job: dict):
    from vllm import EngineArgs, LLMEngine
    from vllm.platforms import current_platform

    args = dict(job["engine_args"])
    requested_block = args["block_size"]
    if current_platform.is_cpu() and args["block_size"] % CPU_BLOCK_MULTIPLE:
        args["block_size"] = -(-args["block_size"] // CPU_BLOCK_MULTIPLE) * CPU_BLOCK_MULTIPLE
    if job.get("kv_budget_tokens"):  # the same KV budget as tokbench's strategies, in vLLM blocks
        args["num_gpu_blocks_override"] = max(1, job["kv_budget_tokens"] // args["block_size"])
    engine = LLMEngine.from_engine_args(EngineArgs(
        model=job["model_dir"], dtype=job["dtype"], seed=job["seed"], skip_tokenizer_init=True,
        disable_log_stats=False,  # RequestOutput.metrics (vLLM's request timestamps) needs the stats on
        enable_prefix_caching=False,  # tokbench reuses no prefixes; neither may the peer
        **args))
    return engine, args, requested_block


def serve(engine, requests: list[list], on_done=lambda n: None) -> tuple[dict[int, dict], float]:
    """Add each request at its arrival time and step the engine until all finish.

    Returns per-request raw records (vLLM's monotonic timestamps) and the monotonic start time.
    """
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt
    from vllm.sampling_params import RequestOutputKind

    pending = deque(sorted(requests, key=lambda r: (r[1], r[0])))
    records: dict[int, dict] = {}
    finished = 0
    t0 = time.monotonic()
    while pending or engine.has_unfinished_requests():
        now = time.monotonic() - t0
        while pending and pending[0][1] <= now:
            rid, arrival, prompt, max_tokens = pending.popleft()
            params = SamplingParams(max_tokens=max_tokens, ignore_eos=True, temperature=0.0, detokenize=False,
                                    output_kind=RequestOutputKind.DELTA)
            engine.add_request(str(rid), TokensPrompt(prompt_token_ids=prompt), params)
            records[rid] = {"request_id": rid, "arrival_s": arrival, "prompt_len": len(prompt), "output_ids": [],
                            "token_ts": []}
        if not engine.has_unfinished_requests():
            time.sleep(max(0.0, pending[0][1] - (time.monotonic() - t0)))
            continue
        for out in engine.step():
            rec = records[int(out.request_id)]
            new = list(out.outputs[0].token_ids)
            m = out.metrics  # vLLM's RequestStateStats: engine-core timestamps on time.monotonic
            rec["output_ids"] += new
            rec["token_ts"] += [m.last_token_ts] * len(new)
            if out.finished:
                rec.update(scheduled_ts=m.scheduled_ts, preemptions=m.num_preemptions)
                finished += 1
                on_done(finished)
    return records, t0


def relative(records: dict[int, dict], t0: float) -> list[dict]:
    """Raw monotonic timestamps -> seconds from the start of the timed run."""
    out = []
    for rec in records.values():
        # vLLM stamps first_token_ts and last_token_ts with the same engine-step time, so the first
        # per-token time is vLLM's first_token_ts.
        times = [t - t0 for t in rec.pop("token_ts")]
        scheduled = rec.pop("scheduled_ts") - t0
        out.append({**rec, "first_scheduled_s": scheduled, "token_times": times, "finish_s": times[-1]})
    return out


def main(job_path: str, result_path: str) -> None:
    with open(job_path) as f:
        job = json.load(f)
    engine, args, requested_block = build_engine(job)
    if job["warmup"]:
        serve(engine, job["warmup"])

    def progress(n: int) -> None:
        print(f"done {n}", flush=True)

    records, t0 = serve(engine, job["requests"], progress)
    import torch
    import vllm

    cfg = engine.vllm_config
    result = {
        "records": relative(records, t0),
        "engine": {"vllm": vllm.__version__, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
                   "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                   "host_huge_pages": huge_pages_status(),  # as tokbench's engine records its own
                   "onednn_primitive_cache": primitive_cache_status(),
                   "block_size": cfg.cache_config.block_size, "block_size_requested": requested_block,
                   "num_blocks": cfg.cache_config.num_gpu_blocks,
                   "max_num_seqs": cfg.scheduler_config.max_num_seqs,
                   "max_num_batched_tokens": cfg.scheduler_config.max_num_batched_tokens,
                   "enable_chunked_prefill": cfg.scheduler_config.enable_chunked_prefill,
                   "async_scheduling": cfg.scheduler_config.async_scheduling,
                   "compilation_mode": getattr(cfg.compilation_config.mode, "name", str(cfg.compilation_config.mode)), "engine_args": args},
    }
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, result_path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m tokbench.peers.vllm_worker JOB.json RESULT.json")
    main(sys.argv[1], sys.argv[2])
