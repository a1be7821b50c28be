"""What `tokbench run` would serve the profiled workload with: model, max_model_len, KV budget.

`profile` takes run's flags with run's defaults, so its figures and advice describe the run that
its suggested command starts, not an idealised one.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.engine.policy import CPU_DEFAULT_KV_SEQUENCES, SchedulerConfig
from tokbench.errors import UserError

DEFAULT_MODEL = "tiny"  # run's default --model
_RUN_DEFAULTS = SchedulerConfig(kv_budget_tokens=1, max_model_len=1)  # run's scheduler defaults


@dataclass(frozen=True)
class ServingTarget:
    model: str
    max_model_len: int
    max_model_len_given: bool
    kv_budget_tokens: int
    kv_budget_given: bool
    max_num_seqs: int | None  # None: profile recommends one
    block_size: int = _RUN_DEFAULTS.block_size
    run_default_max_num_seqs: int = _RUN_DEFAULTS.max_num_seqs

    def flags(self) -> list[str]:
        """Flags that make `run` serve what was profiled: the model and max_model_len always (stated,
        not left to defaults), the KV budget when one was given."""
        words = [f"--model={self.model}", f"--max-model-len={self.max_model_len}"]
        if self.kv_budget_given:
            words.append(f"--kv-budget-tokens={self.kv_budget_tokens}")
        return words

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "max_model_len": self.max_model_len,
            "kv_budget_tokens": self.kv_budget_tokens,
            "kv_budget_source": "--kv-budget-tokens" if self.kv_budget_given
            else f"run's CPU default: {CPU_DEFAULT_KV_SEQUENCES} x max_model_len",
            "max_num_seqs": self.max_num_seqs,
            "block_size": self.block_size,
        }


def model_max_len(model: str) -> int:
    from tokbench.model.presets import PRESETS

    if model in PRESETS:
        return PRESETS[model].max_model_len
    from tokbench.model import resolve_config  # a model directory: reads its config.json

    return resolve_config(model).max_model_len


def resolve_target(*, model: str = DEFAULT_MODEL, max_model_len: int | None = None,
                   kv_budget_tokens: int | None = None, max_num_seqs: int | None = None) -> ServingTarget:
    for flag, value in (("--max-model-len", max_model_len), ("--kv-budget-tokens", kv_budget_tokens),
                        ("--max-num-seqs", max_num_seqs)):
        if value is not None and value < 1:
            raise UserError(f"{flag} {value}: must be positive")
    model_max = model_max_len(model)
    if max_model_len is not None and max_model_len > model_max:  # run refuses it the same way
        raise UserError(f"--max-model-len {max_model_len}: above the model's own maximum of {model_max} tokens "
                        f"(--model {model}); the flag can only lower it")
    length = max_model_len or model_max
    budget = kv_budget_tokens or CPU_DEFAULT_KV_SEQUENCES * length
    return ServingTarget(model=model, max_model_len=length, max_model_len_given=max_model_len is not None,
                         kv_budget_tokens=budget, kv_budget_given=kv_budget_tokens is not None,
                         max_num_seqs=max_num_seqs)
