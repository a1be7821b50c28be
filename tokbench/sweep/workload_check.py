"""Before any point runs: every config checked as `tokbench run` checks one (no torch), and the facts a
capacity search needs (arrivals spread in time; the rate they offer)."""

from __future__ import annotations

from tokbench.benchmark.checks import check_run
from tokbench.benchmark.config import RunConfig
from tokbench.errors import UserError
from tokbench.results import Results


def _checked(label: str, config: RunConfig):
    try:
        return check_run(config)
    except UserError as exc:
        raise UserError("\n".join(f"{label}: {line}" for line in str(exc).splitlines())) from None


def check_configs(labelled: list[tuple[str, RunConfig]]) -> None:
    """check_run for each (label, config) — strategies, knobs, model, workload, KV fit — so a mistake in
    point 40 is one line before point 1 runs."""
    for label, config in labelled:
        _checked(label, config)


def check_online(labelled: list[tuple[str, RunConfig]]) -> None:
    """check_configs, and refuse an offline workload (all at t=0): scaling its arrival rate changes nothing."""
    for label, config in labelled:
        if _checked(label, config).workload.is_offline:
            raise UserError(f"--capacity: {label}: workload {config.workload.spec!r} is offline (every request "
                            "arrives at t=0), so its arrival rate cannot be scaled; choose an online workload such "
                            "as high-variance-online")


def offered_rate(results: Results) -> float | None:
    """Requests per second the arrivals offered: (n - 1) over the span from first to last arrival."""
    arrivals = results.requests.drop_duplicates("request_id")["arrival_s"]
    span = float(arrivals.max() - arrivals.min()) if len(arrivals) > 1 else 0.0
    return (len(arrivals) - 1) / span if span > 0 else None
