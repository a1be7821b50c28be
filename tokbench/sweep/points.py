"""A spec's points: the grid's cartesian product plus the explicit [[point]]s, and capacity probes.

Each point is one RunConfig; its id hashes the config, so a point listed twice runs once and a
resumed sweep recognizes what it already has.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tokbench.benchmark.config import RunConfig
from tokbench.sweep.keys import describe_values, digest, config_key, point_id
from tokbench.sweep.spec import RATE_KEY, SweepSpec, build_config


@dataclass(frozen=True)
class Point:
    id: str
    values: dict[str, Any]  # the dotted keys this point sets on top of [base]
    config: RunConfig
    origin: str  # "grid", "point #N" or "capacity"

    @property
    def label(self) -> str:
        return describe_values(self.values)


@dataclass(frozen=True)
class SearchPlan:
    """One capacity search: a configuration (one strategy) whose workload.rate_scale is searched."""

    key: str  # a hash of the configuration without its rate
    values: dict[str, Any]
    config: RunConfig

    @property
    def label(self) -> str:
        return describe_values(self.values)

    def probe(self, scale: float) -> Point:
        values = {**self.values, RATE_KEY: scale}
        config = self.config.with_values({RATE_KEY: scale})
        return Point(point_id(config), values, config, "capacity")


def _combinations(spec: SweepSpec) -> list[tuple[dict[str, Any], str]]:
    keys = list(spec.grid)
    combos = [(dict(zip(keys, chosen)), "grid") for chosen in itertools.product(*spec.grid.values())] if keys else []
    return combos + [(dict(p), f"point #{i}") for i, p in enumerate(spec.points, 1)]


def plan_points(spec: SweepSpec) -> list[Point]:
    """The grid's points, then the explicit ones; a config met twice is kept once (its first place)."""
    base, seen, out = spec.base.to_dict(), set(), []
    for values, origin in _combinations(spec):
        config = build_config(base, values, f"{spec.where} {origin}")
        pid = point_id(config)
        if pid not in seen:
            seen.add(pid)
            out.append(Point(pid, values, config, origin))
    return out


def _strategy_names(config: RunConfig) -> list[str]:
    if "all" in config.strategies:
        from tokbench.benchmark.strategy_registry import builtin_names

        return builtin_names()
    return list(dict.fromkeys(config.strategies))


def plan_searches(spec: SweepSpec) -> list[SearchPlan]:
    """One search per strategy of every grid combination (or of [base] alone): each has its own capacity.

    Every probe runs with the search's SLO as its config's SLO, so its summary counts good requests.
    """
    assert spec.capacity is not None
    slo = {"slo": None, **{f"slo.{k}": v for k, v in spec.capacity.slo.items()}}
    base = spec.base.to_dict()
    combos = _combinations(spec) or [({}, "base")]
    seen, out = set(), []
    for values, origin in combos:
        config = build_config(base, values, f"{spec.where} {origin}")
        for name in _strategy_names(config):
            mine = {"strategies": name, **{k: v for k, v in values.items() if k != "strategies"}}
            single = config.with_values({"strategies": [name], **slo})
            key = digest(config_key(single))
            if key not in seen:
                seen.add(key)
                out.append(SearchPlan(key, mine, single))
    return out
