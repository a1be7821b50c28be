"""What can be wrong with a run and needs no torch, found before torch loads.

Strategies and knobs, backends, the model's shape and length, the workload (a malformed trace,
an over-long request) and a given KV budget that cannot hold a request: each is one line, in well
under a second, before torch's import and the model's load. The CLI calls `check_run` first (and
then checks where results will go); `prepare` takes what it found instead of reading the workload
again.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokbench.benchmark.config import RunConfig
from tokbench.benchmark.kv_fit import check_kv_fits
from tokbench.benchmark.strategy_registry import builtin_names, resolve
from tokbench.engine.knobs import check_knobs_used
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.errors import UserError
from tokbench.model.config import ModelConfig
from tokbench.model.model_spec import resolve_config
from tokbench.peers import parse_backends
from tokbench.workload import Workload, load_workload


@dataclass(frozen=True)
class CheckedRun:
    config: RunConfig
    strategies: list[type[Strategy]]
    peers: list[tuple[str, str]]
    model_cfg: ModelConfig  # the model's shape, its max_model_len lowered by --max-model-len
    workload: Workload

    def scheduler(self, kv_budget_tokens: int) -> SchedulerConfig:
        s = self.config.scheduler
        return SchedulerConfig(kv_budget_tokens=kv_budget_tokens, max_model_len=self.model_cfg.max_model_len,
                               max_num_seqs=s.max_num_seqs, max_batch_tokens=s.max_batch_tokens,
                               block_size=s.block_size, knobs=dict(s.knobs))


def resolve_strategies(config: RunConfig) -> list[type[Strategy]]:
    """The run's strategy classes, after checking that every knob set is read by one of them."""
    names = builtin_names() if "all" in config.strategies else config.strategies
    strategies = [resolve(name) for name in dict.fromkeys(names)]
    check_knobs_used(config.scheduler.knobs, strategies, known=[resolve(n) for n in builtin_names()])
    return strategies


def _model_cfg(config: RunConfig) -> ModelConfig:
    cfg = resolve_config(config.model.spec)
    cap = config.model.max_model_len
    if cap is not None and cap > cfg.max_model_len:
        raise UserError(f"--max-model-len {cap} (model.max_model_len): above the model's own maximum of "
                        f"{cfg.max_model_len} tokens; the flag can only lower it")
    return cfg if cap is None else ModelConfig(**{**cfg.to_dict(), "max_model_len": cap})


def load_run_workload(config: RunConfig, vocab_size: int, max_model_len: int) -> Workload:
    spec = config.workload.spec
    wl = load_workload(spec, seed=config.seed, vocab_size=vocab_size, max_model_len=max_model_len,
                       options=config.workload.options)
    if not wl.requests:
        raise UserError(f"--workload {spec} (workload.spec): no requests left after the workload options")
    return wl


_last: tuple[RunConfig, CheckedRun] | None = None  # the latest check, for prepare() of the same config


def check_run(config: RunConfig) -> CheckedRun:
    """Check everything that needs no torch; UserError names the first problem."""
    global _last
    if _last is not None and _last[0] is config:
        return _last[1]
    use_tokbench, peers = parse_backends(list(config.backends))
    strategies = resolve_strategies(config) if use_tokbench else []
    model_cfg = _model_cfg(config)
    workload = load_run_workload(config, model_cfg.vocab_size, model_cfg.max_model_len)
    checked = CheckedRun(config, strategies, peers, model_cfg, workload)
    given = config.scheduler.kv_budget_tokens
    if given is not None:
        check_kv_fits(strategies, checked.scheduler(given), workload.requests,
                      what=f"--kv-budget-tokens {given} (scheduler.kv_budget_tokens)")
    _last = (config, checked)
    return checked


def take_checked(config: RunConfig) -> CheckedRun:
    """check_run's result for `config` (computed now unless the caller checked it already), forgotten
    here so the workload is not held after the run."""
    global _last
    checked = check_run(config)
    _last = None
    return checked
