"""Length distributions for synthetic workloads, parsed from a preset's JSON.

Every distribution maps standard-normal draws to lengths (`from_normal`), so prompt and output
lengths can be correlated through one Gaussian copula whatever their shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tokbench.errors import UserError


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z), vectorised (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7): numpy has no erf."""
    x = np.abs(z) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)


def _uniform_from_normal(z: np.ndarray) -> np.ndarray:
    # Keep u strictly inside (0, 1) so inverse CDFs stay finite.
    return np.clip(normal_cdf(z), 1e-12, 1.0 - 1e-12)


@dataclass(frozen=True)
class Fixed:
    value: float

    def from_normal(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.full(z.shape, float(self.value))


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    def from_normal(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.low + _uniform_from_normal(z) * (self.high - self.low)


@dataclass(frozen=True)
class Normal:
    mean: float
    std: float

    def from_normal(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.std * z


@dataclass(frozen=True)
class LogNormal:
    median: float
    sigma: float  # std of log(length): 0.5 mild, 1.0 wide, 1.5 extreme

    def from_normal(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.median * np.exp(self.sigma * z)


@dataclass(frozen=True)
class Pareto:
    scale: float  # the minimum length x_m
    alpha: float  # tail index: smaller = heavier tail

    def from_normal(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.scale * (1.0 - _uniform_from_normal(z)) ** (-1.0 / self.alpha)


@dataclass(frozen=True)
class Zipf:
    """P(length = k) proportional to k**-a for k in [low, high] (a discrete power law)."""

    a: float
    low: int
    high: int

    def from_normal(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        support = np.arange(self.low, self.high + 1, dtype=np.float64)
        cdf = np.cumsum(support**-self.a)
        cdf /= cdf[-1]
        return support[np.searchsorted(cdf, _uniform_from_normal(z))]


@dataclass(frozen=True)
class Empirical:
    """Quantiles of observed lengths; with bin edges, lengths are spread uniformly inside a bin."""

    values: np.ndarray  # sorted lengths, or bin edges when `weights` is given
    weights: np.ndarray | None = None  # histogram counts per bin

    def from_normal(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        u = _uniform_from_normal(z)
        if self.weights is None:
            return np.quantile(self.values, u, method="inverted_cdf")
        cdf = np.concatenate([[0.0], np.cumsum(self.weights)]) / self.weights.sum()
        return np.interp(u, cdf, self.values)


@dataclass(frozen=True)
class Mixture:
    """A weighted choice of components; the copula draw is reused inside the chosen component."""

    weights: np.ndarray
    components: tuple

    def from_normal(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        choice = rng.choice(len(self.components), size=z.shape, p=self.weights / self.weights.sum())
        out = np.empty(z.shape)
        for index, component in enumerate(self.components):
            mask = choice == index
            out[mask] = component.from_normal(z[mask], rng)
        return out


@dataclass(frozen=True)
class Truncated:
    """Clip a distribution into [min, max] and round to whole tokens (at least 1)."""

    inner: object
    low: int = 1
    high: int | None = None

    def sample_lengths(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raw = np.rint(self.inner.from_normal(z, rng))
        return np.clip(raw, max(self.low, 1), self.high if self.high is not None else np.inf).astype(np.int64)


def _number(spec: dict, key: str, where: str, positive: bool = True) -> float:
    if key not in spec:
        raise UserError(f"{where}: missing '{key}'")
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (positive and not value > 0):
        raise UserError(f"{where}: '{key}' must be a {'positive ' if positive else ''}number, got {value!r}")
    return float(value)


def _empirical(spec: dict, where: str, base_dir: Path | None) -> Empirical:
    if "histogram" in spec:
        hist = spec["histogram"]
        edges = np.asarray(hist.get("edges", []), dtype=np.float64)
        counts = np.asarray(hist.get("counts", []), dtype=np.float64)
        if len(edges) != len(counts) + 1 or len(counts) == 0 or np.any(np.diff(edges) <= 0) or counts.sum() <= 0:
            raise UserError(f"{where}: histogram needs increasing 'edges' and len(edges)-1 non-negative 'counts'")
        return Empirical(edges, counts)
    if "values" in spec:
        values = np.asarray(spec["values"], dtype=np.float64)
    elif "file" in spec:
        path = Path(spec["file"])
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            values = np.loadtxt(path, dtype=np.float64, ndmin=1, comments="#")
        except (OSError, ValueError) as exc:
            raise UserError(f"{where}: cannot read lengths from {path}: {exc}") from None
    else:
        raise UserError(f"{where}: empirical needs 'histogram', 'values' or 'file'")
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise UserError(f"{where}: empirical lengths must be positive numbers")
    return Empirical(np.sort(values))


def parse_distribution(spec: dict, where: str, base_dir: Path | None = None):
    """Build a distribution from its JSON form, e.g. {"dist": "lognormal", "median": 128, "sigma": 1}."""
    if not isinstance(spec, dict) or "dist" not in spec:
        raise UserError(f"{where}: expected an object with a 'dist' key")
    kind = spec["dist"]
    if kind == "fixed":
        return Fixed(_number(spec, "value", where))
    if kind == "uniform":
        low, high = _number(spec, "low", where), _number(spec, "high", where)
        if high < low:
            raise UserError(f"{where}: 'high' must be >= 'low'")
        return Uniform(low, high)
    if kind == "normal":
        return Normal(_number(spec, "mean", where), _number(spec, "std", where, positive=False))
    if kind == "lognormal":
        return LogNormal(_number(spec, "median", where), _number(spec, "sigma", where))
    if kind == "pareto":
        return Pareto(_number(spec, "scale", where), _number(spec, "alpha", where))
    if kind == "zipf":
        low, high = int(_number(spec, "low", where)), int(_number(spec, "high", where))
        if high < low or high - low > 10_000_000:
            raise UserError(f"{where}: zipf needs low <= high within 10M")
        return Zipf(_number(spec, "a", where), low, high)
    if kind == "empirical":
        return _empirical(spec, where, base_dir)
    if kind == "mixture":
        parts = spec.get("components")
        if not isinstance(parts, list) or not parts:
            raise UserError(f"{where}: mixture needs a non-empty 'components' list")
        weights = np.array([_number(p, "weight", f"{where}.components[{i}]") for i, p in enumerate(parts)])
        comps = tuple(parse_distribution(p, f"{where}.components[{i}]", base_dir) for i, p in enumerate(parts))
        return Mixture(weights, comps)
    raise UserError(
        f"{where}: unknown dist {kind!r} (fixed, uniform, normal, lognormal, pareto, zipf, empirical, mixture)"
    )


def parse_length_distribution(spec: dict, where: str, base_dir: Path | None = None) -> Truncated:
    """A distribution plus its optional 'min'/'max' clip, as lengths in whole tokens."""
    inner = parse_distribution(spec, where, base_dir)
    low = int(spec.get("min", 1))
    high = spec.get("max")
    if high is not None and int(high) < low:
        raise UserError(f"{where}: 'max' must be >= 'min'")
    return Truncated(inner, low, int(high) if high is not None else None)
