"""The [capacity] table (or `--capacity --slo ... --attainment ...`): what a capacity search looks for.

    [capacity]
    slo = { ttft_ms = 2000, tpot_ms = 200 }   # every request must meet every SLO given ...
    attainment = 0.9                           # ... in at least this share of requests
    tolerance = 0.05                           # stop when the bracket's hi / lo <= 1 + tolerance
    start = 1.0                                # the first probe's workload.rate_scale
"""

from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass, fields, replace

from tokbench.errors import UserError

SLO_KEYS = ("ttft_ms", "tpot_ms", "e2el_ms")


@dataclass(frozen=True)
class CapacitySettings:
    slo: dict[str, float]
    attainment: float = 0.9
    tolerance: float = 0.05  # relative: the answer lies in [lo, hi] with hi <= lo * (1 + tolerance)
    start: float = 1.0
    min_scale: float = 1 / 64
    max_scale: float = 64.0
    max_probes: int = 16

    def to_dict(self) -> dict:
        return {**asdict(self), "slo": dict(sorted(self.slo.items()))}

    def slo_text(self) -> str:
        return ", ".join(f"{k.removesuffix('_ms')} ≤ {v:g} ms" for k, v in self.slo.items())


def _number(value, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"{where}: {key} = {value!r} must be a finite number")
    return float(value)


def parse_slo_table(value, where: str) -> dict[str, float]:
    if isinstance(value, str):  # 'ttft_ms=500,tpot_ms=50', as --slo takes it
        table = {}
        for part in value.split(","):
            key, sep, number = part.partition("=")
            try:
                table[key.strip()] = float(number) if sep else None
            except ValueError:
                raise UserError(f"{where}: slo {value!r}: {key.strip()} value {number!r} is not a number") from None
        value = table
    if not isinstance(value, dict) or not value:
        raise UserError(f"{where}: slo must name at least one of {', '.join(SLO_KEYS)} "
                        "(e.g. slo = { ttft_ms = 2000, tpot_ms = 200 })")
    out = {}
    for key, limit in value.items():
        if key not in SLO_KEYS:
            raise UserError(f"{where}: slo {key!r} is not an SLO (choose {', '.join(SLO_KEYS)})")
        limit = _number(limit, f"slo.{key}", where)
        if limit <= 0:
            raise UserError(f"{where}: slo.{key} = {limit:g} must be a positive number of milliseconds")
        out[key] = limit
    return out


def parse_capacity(data, where: str) -> CapacitySettings:
    if not isinstance(data, dict):
        raise UserError(f"{where}: must be a table (slo, attainment, tolerance, start, ...)")
    known = [f.name for f in fields(CapacitySettings)]
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            raise UserError(f"{where}: unknown key {key!r}"
                            + (f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"))
    if "slo" not in data:
        raise UserError(f"{where}: a capacity search needs an SLO (slo = {{ ttft_ms = ..., tpot_ms = ... }} "
                        "or --slo ttft_ms=...,tpot_ms=...)")
    values = {k: v for k, v in data.items() if k != "slo"}
    for key, value in values.items():
        values[key] = int(_number(value, key, where)) if key == "max_probes" else _number(value, key, where)
    settings = CapacitySettings(slo=parse_slo_table(data["slo"], where), **values)
    check_capacity(settings, where)
    return settings


def check_capacity(s: CapacitySettings, where: str) -> None:
    if not 0 < s.attainment <= 1:
        raise UserError(f"{where}: attainment = {s.attainment:g} must be in (0, 1] (0.9 = 90% of requests)")
    if not 0 < s.tolerance < 1:
        raise UserError(f"{where}: tolerance = {s.tolerance:g} must be in (0, 1) (0.05 = within 5%)")
    if not 0 < s.min_scale <= s.start <= s.max_scale:
        raise UserError(f"{where}: need 0 < min_scale <= start <= max_scale (got {s.min_scale:g}, {s.start:g}, "
                        f"{s.max_scale:g})")
    if s.max_probes < 2:
        raise UserError(f"{where}: max_probes = {s.max_probes} must be at least 2")


def with_overrides(settings: CapacitySettings | None, *, slo: str | None, attainment: float | None,
                   tolerance: float | None, where: str = "--capacity") -> CapacitySettings:
    """The spec's [capacity] (or none) with the command line's --slo/--attainment/--tolerance on top."""
    if settings is None:
        if slo is None:
            raise UserError(f"{where}: name the SLO with --slo ttft_ms=...,tpot_ms=... (or a [capacity] table "
                            "in the spec)")
        settings = CapacitySettings(slo=parse_slo_table(slo, "--slo"))
    changes = {}
    if slo is not None:
        changes["slo"] = parse_slo_table(slo, "--slo")
    if attainment is not None:
        changes["attainment"] = attainment
    if tolerance is not None:
        changes["tolerance"] = tolerance
    settings = replace(settings, **changes)
    check_capacity(settings, where)
    return settings
