"""The policy side of the engine: the Strategy base class, its knobs, and how strategies are found.

A strategy owns its queues and decides, each step, which sequences advance by how many tokens and
in which layout. It may allocate and free KV through its KVCache; it never touches tensors.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import ClassVar, Literal

from tokbench.engine.kv_base import KVCache, KVLayout
from tokbench.engine.plan import StepPlan
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError

Order = Literal["fcfs", "sjf"]


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


# ---- registry -------------------------------------------------------------------------------

_REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make a strategy selectable by its `name`."""
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    import tokbench.strategies as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"tokbench.strategies.{mod.name}")
    for ep in entry_points(group="tokbench.strategies"):
        register(ep.load())


def builtin_names() -> list[str]:
    _load_builtin()
    return list(_REGISTRY)


def _load_from_file(spec: str) -> type[Strategy]:
    path_text, _, cls_name = spec.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise UserError(f"--strategy {spec!r}: file {path} not found")
    module_spec = importlib.util.spec_from_file_location(f"tokbench_user_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        raise UserError(f"--strategy {spec!r}: importing {path} failed: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise UserError(f"--strategy {spec!r}: {path} has no Strategy subclass named {cls_name!r}")
    return cls


def resolve(spec: str) -> type[Strategy]:
    """A strategy by registered name, or `path/to/file.py:ClassName`."""
    if ":" in spec and spec.rpartition(":")[0].endswith(".py"):
        return _load_from_file(spec)
    _load_builtin()
    if spec not in _REGISTRY:
        raise UserError(f"--strategy {spec!r}: unknown (choose from {', '.join(sorted(_REGISTRY))}, "
                        "'all', or path/to/file.py:ClassName)")
    return _REGISTRY[spec]
