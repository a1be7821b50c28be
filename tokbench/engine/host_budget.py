"""Will a CPU run fit in host memory? Checked before anything is allocated.

Weights, the KV pool (with the slack a head-major pool keeps past its end) and the largest step's
activations must fit in the memory available now (MemAvailable, or the cgroup's limit when lower),
less a margin. Otherwise the kernel kills the run part way with no message; here it is refused
with one line naming a KV budget that fits. The arithmetic is pure, so tests need no large machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from tokbench.engine.kv_storage import SLOT_ALIGN
from tokbench.engine.memory_budget import GiB, fmt_gib, largest_fitting_tokens
from tokbench.errors import UserError
from tokbench.model.config import ModelConfig

MIN_HOST_MARGIN = GiB // 4  # the allocator's slack, Python objects of the run, the recorder's tables
HOST_MARGIN_FRACTION = 0.05


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def host_available_bytes() -> int | None:
    """Memory this process can still take: MemAvailable, capped by a cgroup limit; None if unknown."""
    values = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                values.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    v1 = "/sys/fs/cgroup/memory/memory."
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         (v1 + "limit_in_bytes", v1 + "usage_in_bytes")):
        cap, used = _read_int(limit), _read_int(usage)
        if cap is not None and used is not None and cap < 1 << 60:  # v1 writes a huge number for "no limit"
            values.append(max(cap - used, 0))
    return min(values) if values else None


def weight_bytes(cfg: ModelConfig, dtype_bytes: int) -> int:
    """Parameters plus the RoPE tables (cos and sin for every position up to max_model_len)."""
    return cfg.num_params() * dtype_bytes + 2 * cfg.max_model_len * cfg.head_dim * dtype_bytes


def step_activation_bytes(cfg: ModelConfig, *, tokens: int, sampled: int, context_tokens: int,
                          longest: int, dtype_bytes: int) -> int:
    """A generous bound on one forward pass's transient memory over `tokens` tokens: the residual and
    normed hidden states, q/k/v and the attention output, the MLP's gate, up and activation, one
    layer's K and V of the step's contexts, one sequence's attention scores, and fp32 logits of the
    sampled rows."""
    per_token = 6 * cfg.hidden_size + 2 * cfg.q_size + 2 * cfg.kv_size + 3 * cfg.intermediate_size
    context = 2 * context_tokens * cfg.kv_size
    scores = cfg.num_heads * min(tokens, longest) * longest
    logits = 2 * sampled * cfg.vocab_size * 4
    return (tokens * per_token + context + scores) * dtype_bytes + logits


def _aligned(tokens: int) -> int:
    return -(-tokens // SLOT_ALIGN) * SLOT_ALIGN


def check_host_memory(*, available: int | None, weights: int, bytes_per_token: int, kv_tokens: int,
                      slack_tokens: int, step_bytes: Callable[[int], int], what: str, also: str = "") -> None:
    """UserError unless weights + KV + the largest step fit in `available` bytes (None: not known, not checked).

    `what` says how the KV budget was chosen, for the message ("--kv-budget-tokens 1000000" or "the
    default KV budget (16 x max_model_len ...)"), `also` another way out (", or a smaller --max-model-len");
    `slack_tokens` are slots allocated past the pool."""
    if available is None:
        return
    margin = max(MIN_HOST_MARGIN, int(HOST_MARGIN_FRACTION * available))
    fixed = weights + _aligned(slack_tokens) * bytes_per_token
    kv = _aligned(kv_tokens) * bytes_per_token
    step = step_bytes(kv_tokens)
    if fixed + kv + step + margin <= available:
        return
    fits = largest_fitting_tokens(available - fixed - margin, bytes_per_token, step_bytes)
    hint = (f"at most {fits} tokens of KV fit: pass --kv-budget-tokens {fits}{also}" if fits else
            "not even a small KV pool fits: use a smaller model, --max-model-len or --max-batch-tokens, or free memory")
    slack = f", {fmt_gib(_aligned(slack_tokens) * bytes_per_token)} of read slack" if slack_tokens else ""
    raise UserError(f"{what}: needs {fmt_gib(kv)} of host memory for KV, and only {fmt_gib(available)} is available "
                    f"(weights {fmt_gib(weights)}{slack}, largest step about {fmt_gib(step)}, margin "
                    f"{fmt_gib(margin)}); {hint}")
