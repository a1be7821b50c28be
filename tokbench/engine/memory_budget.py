"""Size the KV pool from the GPU's memory: one budget, equal for every strategy.

Order on a CUDA device: load the weights, run a warmup forward at the largest step a strategy
will run (its transient activations are the step's peak), read free memory, then
    KV bytes = utilization x total - memory in use - the largest step's peak - graph pool - margin
rounded down to whole 256-slot units. The arithmetic is pure (numbers in, budget out), so it is
tested on CPU; only `measure_memory` touches the device. An out-of-memory error during one
strategy becomes `oom_message`: a line naming a KV budget that would have fit.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Callable

import torch

from tokbench.engine.kv_storage import SLOT_ALIGN
from tokbench.errors import UserError

GiB = 2**30
MIN_MARGIN = GiB // 2  # allocator fragmentation, cuBLAS/cuDNN workspaces, the CUDA context growing
MARGIN_FRACTION = 0.02


@dataclass(frozen=True)
class MemoryState:
    """The device after weights are loaded and a warmup at the largest step ran and released."""

    total: int  # bytes on the device
    free: int  # bytes free now (other processes and the CUDA context already subtracted)
    step_peak: int  # bytes the warmup step allocated above the resting state, at its peak
    step_tokens: int  # tokens in that warmup step


@dataclass(frozen=True)
class KVBudget:
    tokens: int
    bytes_per_token: int
    total: int
    in_use: int
    step_reserve: int  # kept free for the largest step's activations
    graph_reserve: int
    margin: int
    utilization: float

    def to_dict(self) -> dict:
        return asdict(self)


def fmt_gib(n: float) -> str:
    return f"{n / GiB:.2f} GiB"


def default_margin(total: int) -> int:
    return max(MIN_MARGIN, int(MARGIN_FRACTION * total))


def largest_fitting_tokens(room: int, bytes_per_token: int, step_bytes: Callable[[int], int]) -> int:
    """The most KV tokens (a multiple of 256, maybe 0) whose bytes plus the largest step's fit in `room`."""

    def fits(tokens: int) -> bool:
        return tokens * bytes_per_token + step_bytes(tokens) <= room

    units = 0  # largest number of SLOT_ALIGN units that fits (step_bytes is non-decreasing: bisect)
    hi = max(room, 0) // (bytes_per_token * SLOT_ALIGN) + 1
    while units + 1 < hi:
        mid = (units + hi) // 2
        if fits(mid * SLOT_ALIGN):
            units = mid
        else:
            hi = mid
    return units * SLOT_ALIGN


def plan_kv_budget(state: MemoryState, *, bytes_per_token: int, utilization: float = 0.9,
                   step_bytes: Callable[[int], int] | None = None, graph_reserve: int = 0,
                   margin: int | None = None, requested_tokens: int | None = None) -> KVBudget:
    """The largest KV budget (tokens, a multiple of 256) that leaves room for the largest step.

    step_bytes(kv_tokens): activation bytes of the largest step when the KV pool holds kv_tokens
    (constant for most knobs; it grows with the pool when a step may be as large as the pool, as
    ffd-packing's bins are by default). Defaults to the warmup's measured peak.
    """
    if not 0 < utilization <= 1:
        raise UserError(f"--gpu-memory-utilization {utilization}: must be in (0, 1]")
    step_bytes = step_bytes or (lambda _tokens: state.step_peak)
    margin = default_margin(state.total) if margin is None else margin
    in_use = state.total - state.free
    room = int(utilization * state.total) - in_use - graph_reserve - margin

    tokens = largest_fitting_tokens(room, bytes_per_token, step_bytes)
    if tokens == 0:
        raise UserError(
            f"GPU memory: {fmt_gib(state.total)} x {utilization} leaves no room for KV after "
            f"{fmt_gib(in_use)} in use, {fmt_gib(step_bytes(0))} for the largest step "
            f"({state.step_tokens} tokens) and a {fmt_gib(margin)} margin; lower --max-batch-tokens "
            f"or --max-num-seqs, or raise --gpu-memory-utilization")
    if requested_tokens is not None:
        if requested_tokens > tokens:
            raise UserError(f"--kv-budget-tokens {requested_tokens}: at most {tokens} fit on this GPU "
                            f"({fmt_gib(tokens * bytes_per_token)} of KV at --gpu-memory-utilization {utilization})")
        tokens = requested_tokens
    return KVBudget(tokens=tokens, bytes_per_token=bytes_per_token, total=state.total, in_use=in_use,
                    step_reserve=step_bytes(tokens), graph_reserve=graph_reserve, margin=margin,
                    utilization=utilization)


def linear_step_bytes(state: MemoryState, step_tokens: Callable[[int], int]) -> Callable[[int], int]:
    """Activation bytes as the warmup's bytes per token times the largest step's tokens."""
    per_token = -(-state.step_peak // max(state.step_tokens, 1))
    return lambda kv_tokens: per_token * step_tokens(kv_tokens)


_ALLOC = re.compile(r"Tried to allocate ([\d.]+) ([KMGT]i?B)")
_UNITS = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def failed_allocation(error_text: str) -> int | None:
    """Bytes the failing allocation asked for, from torch's OutOfMemoryError message."""
    m = _ALLOC.search(error_text)
    return int(float(m.group(1)) * _UNITS[m.group(2)]) if m else None


def budget_that_fits(budget: KVBudget, shortfall: int) -> int:
    """A KV budget (tokens) smaller by the shortfall plus a margin, in whole 256-slot units."""
    cut = -(-(shortfall + budget.margin) // budget.bytes_per_token)
    return max(0, (budget.tokens - cut) // SLOT_ALIGN * SLOT_ALIGN)


def oom_message(strategy: str, budget: KVBudget, error_text: str, free_now: int) -> str:
    """One line for a strategy that ran out of memory; the other strategies' results are kept."""
    wanted = failed_allocation(error_text)
    shortfall = max((wanted or budget.margin) - free_now, 0)
    fits = budget_that_fits(budget, shortfall)
    hint = (f"--kv-budget-tokens {fits} would fit (KV {budget.tokens} tokens now)" if fits
            else "lower --max-batch-tokens or --max-num-seqs: even no KV would not fit")
    asked = f" allocating {fmt_gib(wanted)}" if wanted else ""
    return f"{strategy}: out of GPU memory{asked} with {fmt_gib(free_now)} free; {hint}"


def measure_memory(device: torch.device, warmup_step: Callable[[], None], step_tokens: int) -> MemoryState:
    """Run `warmup_step` (one forward at the largest step) and read the device's memory after it."""
    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    resting = torch.cuda.memory_allocated(device)
    warmup_step()
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device) - resting
    torch.cuda.empty_cache()
    free, total = torch.cuda.mem_get_info(device)
    return MemoryState(total=total, free=free, step_peak=peak, step_tokens=step_tokens)


def largest_step_forward(model, device: torch.device, tokens: int, sampled: int,
                         max_model_len: int) -> Callable[[], None]:
    """One forward pass over `tokens` tokens without KV (attention returns a q-sized tensor, as the
    kernels do), sampling `sampled` rows: the warmup whose peak sizes the step reserve."""

    @torch.inference_mode()
    def step() -> None:
        ids = torch.zeros(tokens, dtype=torch.long, device=device)
        pos = torch.arange(tokens, device=device) % max_model_len
        hidden = model(ids, pos, lambda layer, q, k, v: torch.empty_like(q))
        model.logits(hidden[: max(sampled, 1)]).argmax(dim=-1)

    return step
