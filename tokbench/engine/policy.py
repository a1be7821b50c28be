"""The policy contract: what a strategy is given, what it must answer, and the knobs it declares.

A strategy owns its queues and decides, each step, which sequences advance by how many tokens and
in which layout (a StepPlan, engine/plan.py). It may allocate and free KV through the typed KV
interface of its layout (engine/kv_base.py); it never touches tensors.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Mapping

from tokbench.engine.knobs import Knob, resolve_knobs
from tokbench.engine.kv_base import KVCache, KVLayout
from tokbench.engine.plan import StepPlan
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError

# What Strategy.decode_repeats answers when only an arrival or a finish would change the plan.
UNTIL_CHANGE = sys.maxsize

# Without --kv-budget-tokens, a CPU run's KV holds this many max-length sequences (what `profile` assumes too).
CPU_DEFAULT_KV_SEQUENCES = 16


@dataclass(frozen=True)
class SchedulerConfig:
    """Limits every strategy shares (equal for all in a run), plus the values of declared knobs."""

    kv_budget_tokens: int  # token slots of KV memory; equal for every strategy by default
    max_model_len: int
    max_num_seqs: int = 128  # most sequences in one step
    max_batch_tokens: int = 2048  # most tokens in one step, where a strategy has a token budget
    block_size: int = 16  # paged KV block size (the attention backend is chosen for it too)
    knobs: Mapping[str, Any] = field(default_factory=dict)  # strategy knobs set for this run, by name

    def validate(self) -> None:
        checks = {
            "--kv-budget-tokens": self.kv_budget_tokens >= 1,
            "--max-model-len": self.max_model_len >= 1,
            "--max-num-seqs": self.max_num_seqs >= 1,
            "--max-batch-tokens": self.max_batch_tokens >= 1,
            "--block-size": self.block_size >= 1,
        }
        for flag, ok in checks.items():
            if not ok:
                value = getattr(self, flag[2:].replace("-", "_"))
                raise UserError(f"{flag} {value!r} is out of range")

    def to_dict(self) -> dict:
        return {**asdict(self), "knobs": dict(self.knobs)}


@dataclass(frozen=True)
class PromptStats:
    """What a strategy may need to know of the workload to bound its largest step."""

    longest: int
    total: int


class Strategy(ABC):
    name: ClassVar[str]
    kv_layout: ClassVar[KVLayout]
    # Shared limits of SchedulerConfig this strategy reads (recorded with its results).
    uses: ClassVar[tuple[str, ...]] = ()
    # Knobs of its own: set with --knob NAME=VALUE (or a flag of the same name), validated, recorded.
    knob_specs: ClassVar[tuple[Knob, ...]] = ()

    def __init__(self, config: SchedulerConfig, kv: KVCache):
        if kv.layout != self.kv_layout:
            raise TypeError(f"{self.name} needs {self.kv_layout} KV, got {kv.layout}")
        self.config = config
        self.kv = kv
        self.knob_values = resolve_knobs(self.knob_specs, config.knobs)
        self.num_preemptions = 0

    def knob(self, name: str) -> Any:
        """The value of one of this strategy's declared knobs (the default unless the run set it)."""
        return self.knob_values[name]

    @classmethod
    def recorded_knobs(cls, config: SchedulerConfig) -> dict:
        """What results record as this strategy's knobs: the shared limits it reads and its own knobs."""
        return {**{k: getattr(config, k) for k in cls.uses}, **resolve_knobs(cls.knob_specs, config.knobs)}

    @classmethod
    def largest_step_tokens(cls, config: SchedulerConfig, prompts: PromptStats) -> int:
        """Most tokens one step of this strategy can hold (sizes the activation memory on GPUs).

        The default is safe for any policy that respects max_num_seqs and prefills whole prompts
        or token-budgeted chunks; override it to be tighter, or larger if a step can exceed that.
        """
        return max(config.max_batch_tokens, min(config.max_num_seqs * prompts.longest, prompts.total))

    @abstractmethod
    def add(self, seq: Sequence) -> None:
        """A request has arrived."""

    @abstractmethod
    def plan(self, now: float) -> StepPlan | None:
        """The next step, or None when nothing can run until another request arrives."""

    def step_done(self, plan: StepPlan) -> None:
        """Called after the plan ran and its sampled tokens were appended."""

    def release_finished(self, seqs: list[Sequence]) -> list[Sequence]:
        """Give the KV of the finished among `seqs` back, in their order; the unfinished ones (`seqs`
        itself, not a copy, when none finished: step_done runs every step)."""
        done = [s for s in seqs if s.finished]
        for seq in done:
            self.kv.free(seq)
        return [s for s in seqs if not s.finished] if done else seqs

    def decode_repeats(self, plan: StepPlan) -> int:
        """How many of the next plan() calls would return `plan` again with every decode one token further,
        and change nothing else (no KV taken or freed, no preemption, queues as they are), provided no
        request arrives and no sequence finishes meanwhile.

        Asked (in simulation) right after step_done(plan) of a step that only decoded (padded rows aside)
        and finished nothing. The loop may then run up to that many steps without calling plan() or
        step_done() for them: it calls repeated(plan, n) once it ran n of them, then step_done(plan).
        0 promises nothing."""
        return 0

    def arrivals_wait(self, plan: StepPlan) -> bool:
        """True when a request arriving during repeats of `plan` (decode_repeats) would only wait: added,
        it changes none of those plan() calls. The loop then repeats past arrivals and adds them after
        (in arrival order, as it would have); False (the default) ends the repeats at an arrival."""
        return False

    def repeated(self, plan: StepPlan, steps: int) -> list[int] | None:
        """The loop ran `steps` repeats of `plan` (decode_repeats) without asking: book what those plan()
        calls would have booked (KV taken as tokens reach new blocks; which block ids, no record depends
        on). Returns the KV slots each of them newly reserved, or None where none did (the default)."""
        return None

    @abstractmethod
    def has_work(self) -> bool:
        """True while any added sequence is unfinished or still holds KV."""

    def check_fits(self, seq: Sequence) -> None:
        """Raise if `seq` could never run under this strategy's knobs (instead of stalling)."""

    def preempt(self, seq: Sequence) -> None:
        """Recompute-style preemption: drop the KV; the sequence restarts from its tokens so far."""
        self.kv.free(seq)
        seq.num_recomputed += seq.num_computed
        seq.num_computed = 0
        seq.num_preemptions += 1
        self.num_preemptions += 1
