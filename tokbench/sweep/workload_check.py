"""Workload facts a capacity search needs: that arrivals are spread in time, and the rate they offer."""

from __future__ import annotations

from tokbench.benchmark.config import RunConfig
from tokbench.errors import UserError
from tokbench.results import Results


def check_online(configs: list[RunConfig]) -> None:
    """Refuse an offline workload (all at t=0): scaling its arrival rate changes nothing."""
    from tokbench.benchmark.prepare import load_run_workload
    from tokbench.model import resolve_config

    seen = set()
    for config in configs:
        key = (config.workload.spec, repr(config.workload.options), config.model.spec, config.seed)
        if key in seen:
            continue
        seen.add(key)
        model = resolve_config(config.model.spec)
        max_len = min(config.model.max_model_len or model.max_model_len, model.max_model_len)
        workload = load_run_workload(config, model.vocab_size, max_len)
        if workload.is_offline:
            raise UserError(f"--capacity: workload {config.workload.spec!r} is offline (every request arrives at "
                            "t=0), so its arrival rate cannot be scaled; choose an online workload such as "
                            "high-variance-online")


def offered_rate(results: Results) -> float | None:
    """Requests per second the arrivals offered: (n - 1) over the span from first to last arrival."""
    arrivals = results.requests.drop_duplicates("request_id")["arrival_s"]
    span = float(arrivals.max() - arrivals.min()) if len(arrivals) > 1 else 0.0
    return (len(arrivals) - 1) / span if span > 0 else None
