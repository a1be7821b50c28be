"""Bracket, then bisect: the highest rate multiplier whose share of requests within the SLO is high enough.

Pure bookkeeping — it says which rate_scale to probe next and reads back each probe's
attainment; the driver runs each probe as an ordinary point. Bracketing doubles (or halves)
from `start` until one probe passes and one fails; bisection takes the geometric midpoint until
hi <= lo * (1 + tolerance). The answer is lo, the highest rate that passed. Every probe is kept,
and attainment that rises with the rate (the search assumes it does not) is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tokbench.sweep.capacity_settings import CapacitySettings

FOUND, ABOVE_MAX, BELOW_MIN, UNFINISHED, FAILED, RUNNING = (
    "found", "above-max", "below-min", "unfinished", "failed", "running")


@dataclass(frozen=True)
class Probe:
    scale: float
    point: str  # the probe's point id
    attainment: float | None  # None: the point failed
    passed: bool
    offered_rps: float | None = None  # requests per second the probe's arrivals offered


@dataclass
class CapacitySearch:
    settings: CapacitySettings
    probes: list[Probe] = field(default_factory=list)
    error: str | None = None

    @property
    def lo(self) -> float | None:
        """The highest rate that passed below every failing one."""
        ok = [p.scale for p in self.probes if p.passed and (self.hi is None or p.scale < self.hi)]
        return max(ok) if ok else None

    @property
    def hi(self) -> float | None:
        bad = [p.scale for p in self.probes if not p.passed and p.attainment is not None]
        return min(bad) if bad else None

    def status(self) -> str:
        s, lo, hi = self.settings, self.lo, self.hi
        if self.error is not None:
            return FAILED
        if lo is not None and hi is not None and hi <= lo * (1 + s.tolerance) * (1 + 1e-9):
            return FOUND
        if lo is None and hi is not None and hi / 2 < s.min_scale:
            return BELOW_MIN
        if hi is None and lo is not None and lo * 2 > s.max_scale:
            return ABOVE_MAX
        if len(self.probes) >= s.max_probes:
            return UNFINISHED
        return RUNNING

    def next_scale(self) -> float | None:
        """The next rate_scale to probe, or None when the search is over."""
        if self.status() != RUNNING:
            return None
        lo, hi = self.lo, self.hi
        if lo is None and hi is None:
            x = self.settings.start
        elif lo is None:
            x = hi / 2
        elif hi is None:
            x = lo * 2
        else:
            x = math.sqrt(lo * hi)
        return float(f"{x:.6g}")  # tidy ids and labels; the same digits on every resume

    def record(self, scale: float, point: str, attainment: float | None, *, error: str | None = None,
               offered_rps: float | None = None) -> None:
        if attainment is None:
            self.error = error or "the probe failed"
        passed = attainment is not None and attainment >= self.settings.attainment
        self.probes.append(Probe(scale, point, attainment, passed, offered_rps))

    @property
    def offered_rps(self) -> float | None:
        """The arrival rate (req/s) at the capacity: what the highest passing probe offered."""
        return next((p.offered_rps for p in self.probes if p.passed and p.scale == self.lo), None)

    def non_monotone(self) -> list[str]:
        """Where attainment rose with the rate (by rate), one phrase each; the answer assumes it never does."""
        done = sorted((p for p in self.probes if p.attainment is not None), key=lambda p: p.scale)
        out = []
        for a, b in zip(done, done[1:]):
            if b.attainment > a.attainment:
                out.append(f"attainment rose from {a.attainment:.0%} at ×{a.scale:g} to {b.attainment:.0%} at "
                           f"×{b.scale:g}")
        crossed = [(a, b) for a in done for b in done if a.scale < b.scale and not a.passed and b.passed]
        if crossed:
            a, b = crossed[0]
            out.insert(0, f"×{b.scale:g} passed above ×{a.scale:g}, which failed: the capacity is ambiguous")
        return out

    def to_dict(self) -> dict:
        return {"status": self.status(), "capacity": self.lo, "bracket": [self.lo, self.hi],
                "offered_rps": self.offered_rps,
                "probes": [{"rate_scale": p.scale, "point": p.point, "attainment": p.attainment, "passed": p.passed,
                            "offered_rps": p.offered_rps} for p in self.probes],
                "non_monotone": self.non_monotone(), "error": self.error}
