"""The policy side of the engine: the Strategy base class, its knobs, and how strategies are found.

A strategy owns its queues and decides, each step, which sequences advance by how many tokens and
in which layout. It may allocate and free KV through its KVCache; it never touches tensors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import ClassVar, Literal

from tokbench.engine.kv_base import KVCache, KVLayout
from tokbench.engine.plan import StepPlan
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError

Order = Literal["fcfs", "sjf"]
# Without --kv-budget-tokens, a CPU run's KV holds this many max-length sequences (what `profile` assumes too).
CPU_DEFAULT_KV_SEQUENCES = 16


@dataclass(frozen=True)
class SchedulerConfig:
    """Knobs shared by all strategies; each uses the ones that mean something to it."""

    kv_budget_tokens: int  # token slots of KV memory; equal for every strategy by default
    max_model_len: int
    max_num_seqs: int = 128
    max_batch_tokens: int = 2048  # per-step token budget (tokenmaxxing) / prefill cap (continuous)
    block_size: int = 16
    chunk_size: int = 512  # longest prefill chunk tokenmaxxing puts in one step
    watermark: float = 0.01  # fraction of KV blocks kept free when admitting new requests
    order: Order = "fcfs"
    bin_tokens: int | None = None  # ffd-packing bin capacity; None = kv_budget_tokens

    def validate(self) -> None:
        checks = {
            "--kv-budget-tokens": self.kv_budget_tokens >= 1,
            "--max-num-seqs": self.max_num_seqs >= 1,
            "--max-batch-tokens": self.max_batch_tokens >= 1,
            "--block-size": self.block_size >= 1,
            "--chunk-size": self.chunk_size >= 1,
            "--watermark": 0.0 <= self.watermark < 1.0,
            "--order": self.order in ("fcfs", "sjf"),
            "--bin-tokens": self.bin_tokens is None or self.bin_tokens >= 1,
        }
        for flag, ok in checks.items():
            if not ok:
                value = getattr(self, flag[2:].replace("-", "_"))
                raise UserError(f"{flag} {value!r} is out of range")

    def to_dict(self) -> dict:
        return asdict(self)


class Strategy(ABC):
    name: ClassVar[str]
    kv_layout: ClassVar[KVLayout]
    # Knobs of SchedulerConfig this strategy reads (recorded with its results).
    knobs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: SchedulerConfig, kv: KVCache):
        self.config = config
        self.kv = kv
        self.num_preemptions = 0

    @abstractmethod
    def add(self, seq: Sequence) -> None:
        """A request has arrived."""

    @abstractmethod
    def plan(self, now: float) -> StepPlan | None:
        """The next step, or None when nothing can run until another request arrives."""

    def step_done(self, plan: StepPlan) -> None:
        """Called after the plan ran and its sampled tokens were appended."""

    @abstractmethod
    def has_work(self) -> bool:
        """True while any added sequence is unfinished or still holds KV."""

    def check_fits(self, seq: Sequence) -> None:
        """Raise if `seq` could never run under this strategy's knobs (instead of stalling)."""

    def preempt(self, seq: Sequence) -> None:
        """Recompute-style preemption: drop the KV; the sequence restarts from its tokens so far."""
        self.kv.free(seq)
        seq.num_computed = 0
        seq.num_preemptions += 1
        self.num_preemptions += 1
