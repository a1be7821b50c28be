"""Does the KV budget hold every request under every strategy? If not, which budget would?

Each strategy says whether one request could ever run at a budget (`check_fits`, or refusing the
budget outright, as continuous does when no slot fits). The smallest budget that holds the whole
workload is found by bisection over those answers, so it includes each strategy's own rounding
(paged blocks, 16-token bins, whole max_model_len slots) and works for a user's strategy as well.
Needs no torch: runs before the model loads.
"""

from __future__ import annotations

from dataclasses import replace

from tokbench.engine.kv_layouts import new_kv_cache
from tokbench.engine.policy import SchedulerConfig, Strategy
from tokbench.engine.sequence import Sequence
from tokbench.errors import UserError
from tokbench.workload.types import Request


def _shapes(requests: list[Request]) -> list[Request]:
    """One request per (prompt length, output length), first come first: a fit depends only on those."""
    seen: dict[tuple[int, int], Request] = {}
    for r in requests:
        seen.setdefault((r.prompt_len, r.max_tokens), r)
    return list(seen.values())


def misfit(strategy: type[Strategy], config: SchedulerConfig, requests: list[Request]) -> str | None:
    """Why `strategy` could not run every request at config.kv_budget_tokens; None if it could."""
    try:
        policy = strategy(config, new_kv_cache(strategy.kv_layout, config.kv_budget_tokens, config.block_size))
        for r in requests:
            policy.check_fits(Sequence(r))
    except (UserError, ValueError) as exc:  # ValueError: the KV bookkeeping refuses the budget itself
        return str(exc)
    return None


def smallest_fitting_budget(strategy: type[Strategy], config: SchedulerConfig, requests: list[Request]) -> int | None:
    """The least KV budget at which `strategy` accepts every request; None if no budget would (another
    knob is the limit). Searched up to twice max_model_len and a block: no request needs more."""
    requests = _shapes(requests)
    at = lambda tokens: replace(config, kv_budget_tokens=tokens)  # noqa: E731
    hi = 2 * config.max_model_len + config.block_size
    if misfit(strategy, at(hi), requests) is not None:
        return None
    lo = 0  # misfit at lo (a budget of 0 holds nothing), fit at hi
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if misfit(strategy, at(mid), requests) is None:
            hi = mid
        else:
            lo = mid
    return hi


def check_kv_fits(strategies: list[type[Strategy]], config: SchedulerConfig, requests: list[Request], *,
                  what: str, hint: str = "") -> None:
    """UserError (one line) unless every strategy can run every request at config.kv_budget_tokens.

    `what` names the budget ("--kv-budget-tokens 376 (scheduler.kv_budget_tokens)"); the line gives
    the first refusal and the smallest budget that fits every request of every strategy."""
    shapes = _shapes(requests)
    # A budget above any need is checked at that need: fitting is monotonic, and a huge pool's
    # bookkeeping (one entry per block) is not built just to be asked.
    probe = replace(config, kv_budget_tokens=min(config.kv_budget_tokens, 2 * config.max_model_len + config.block_size))
    refusals = [(cls, why) for cls in strategies if (why := misfit(cls, probe, shapes)) is not None]
    if not refusals:
        return
    needs = {cls: smallest_fitting_budget(cls, config, shapes) for cls, _ in refusals}
    stuck = [(cls, why) for cls, why in refusals if needs[cls] is None]
    if stuck:  # not the budget's fault: the strategy's own line says what is
        raise UserError(f"{stuck[0][0].name}: {stuck[0][1]}")
    cls, why = refusals[0]
    raise UserError(f"{what}: too small for this workload ({cls.name}: {why}); the smallest KV budget that "
                    f"holds every request of every strategy is {max(needs.values())}{hint}")
