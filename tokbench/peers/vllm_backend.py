"""`vllm-*` runs: the workload through vLLM, in a worker process (see vllm_worker.py).

tokbench's knobs map onto vLLM's where vLLM can express them:
- `vllm-chunked`  ~ tokenmaxxing: chunked prefill on, a per-step token budget of max_batch_tokens
  mixing decodes and prefill chunks, paged KV, max_num_seqs sequences.
- `vllm-no-chunk` ~ continuous: chunked prefill off (a prompt is prefilled whole; vLLM then needs
  max_num_batched_tokens >= max_model_len), otherwise the same.
Static padding and FFD packing have no vLLM equivalent. Both configurations get tokbench's KV
budget (num_gpu_blocks_override), no prefix caching, greedy sampling and ignore_eos.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from tokbench.workload.warmup import warmup_requests
from tokbench.errors import UserError
from tokbench.model import onednn_cache
from tokbench.peers.records import PeerRequest, PeerRun, make_run
from tokbench.peers.settings import PeerSettings
from tokbench.workload.types import Request

CONFIGS = ("chunked", "no-chunk")
DTYPE_NAMES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}
# Set unless the user set them: offline, a CPU KV pool vLLM can size (the budget override then
# trims it to tokbench's), the engine core inside the worker, and, as tokbench's own engine has
# them, big tensors on huge pages (engine/host_memory.py) and oneDNN's larger primitive cache
# (model/onednn_cache.py).
DEFAULT_ENV = {"HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_ENABLE_V1_MULTIPROCESSING": "0",
               "TOKENIZERS_PARALLELISM": "false", "THP_MEM_ALLOC_ENABLE": "1",
               onednn_cache.ENV: str(onednn_cache.CAPACITY)}


def engine_args(config: str, s: PeerSettings) -> dict:
    sched = s.sched
    args = {"max_num_seqs": sched.max_num_seqs, "block_size": sched.block_size, "max_model_len": sched.max_model_len}
    if config == "chunked":
        return {**args, "enable_chunked_prefill": True, "max_num_batched_tokens": sched.max_batch_tokens}
    return {**args, "enable_chunked_prefill": False,
            "max_num_batched_tokens": max(sched.max_batch_tokens, sched.max_model_len)}


def _rows(requests: list[Request]) -> list[list]:
    return [[r.request_id, r.arrival_s, list(r.prompt_token_ids), r.max_tokens] for r in requests]


def _last_error_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if "Error" in ln or "error" in ln]
    return (errors or lines or ["no output"])[-1][:300]


def run_vllm(config: str, s: PeerSettings) -> PeerRun:
    name = f"vllm-{config}"
    work = Path(tempfile.mkdtemp(prefix=f"tokbench-{name}-"))
    job = {"model_dir": str(s.model_dir), "dtype": DTYPE_NAMES[s.dtype], "seed": 0,
           "engine_args": engine_args(config, s), "kv_budget_tokens": s.sched.kv_budget_tokens,
           "requests": _rows(s.requests), "warmup": _rows(warmup_requests(s.requests)) if s.warmup else []}
    (work / "job.json").write_text(json.dumps(job))
    env = {**DEFAULT_ENV, **os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(s.threads))}
    log = work / "vllm.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "tokbench.peers.vllm_worker", str(work / "job.json"),
                                 str(work / "result.json")], stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        for line in proc.stdout:  # "done N" progress lines; anything else goes to the log
            if line.startswith("done "):
                s.on_progress(int(line.split()[1]))
        rc = proc.wait()
    if rc != 0 or not (work / "result.json").is_file():
        raise UserError(f"--backend vllm: {name} failed (exit {rc}): {_last_error_line(log)} (full log: {log})")
    result = json.loads((work / "result.json").read_text())
    records = [PeerRequest(**r) for r in result["records"]]
    for f in ("job.json", "result.json", "vllm.log"):
        (work / f).unlink()
    work.rmdir()
    knobs = {**result["engine"]["engine_args"], "kv_layout": "paged", "prefix_caching": False}
    return make_run(name, "vllm", knobs, records, cost=s.cost, slo=s.slo, engine=result["engine"])
