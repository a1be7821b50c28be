"""What a gate rule measures: one run's summary metric, or a ratio of two within the same results.

    "tokenmaxxing.output_throughput"                                   one metric of one run
    "tokenmaxxing.output_throughput / static-padded.output_throughput"  a within-run ratio

A ratio of two runs that shared a process, a model and a minute of machine time cancels most of
what a noisy or different machine does to both, which is why CI gates on ratios.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from tokbench.errors import UserError
from tokbench.results import Results


@dataclass(frozen=True)
class Term:
    run: str
    metric: str

    def __str__(self) -> str:
        return f"{self.run}.{self.metric}"


@dataclass(frozen=True)
class Expression:
    numerator: Term
    denominator: Term | None = None

    def __str__(self) -> str:
        return str(self.numerator) + (f" / {self.denominator}" if self.denominator else "")

    @property
    def terms(self) -> list[Term]:
        return [self.numerator] + ([self.denominator] if self.denominator else [])


def _term(text: str, whole: str) -> Term:
    run, dot, metric = text.strip().rpartition(".")
    if not dot or not run or not metric:
        raise UserError(f"metric {whole!r}: {text.strip()!r} should be RUN.METRIC, e.g. tokenmaxxing.output_throughput")
    return Term(run, metric)


def parse(text: str) -> Expression:
    parts = text.split("/")
    if len(parts) > 2:
        raise UserError(f"metric {text!r}: at most one '/' (a ratio of two RUN.METRIC terms)")
    return Expression(*(_term(p, text) for p in parts))


def run_summary(results: Results, run: str) -> dict:
    """The run's summary, plus `tokens_identical`: the share of requests whose tokens equal the
    reference's (NaN when the run was not verified)."""
    if run not in results.run_names:
        raise UserError(f"{results.path}: has no run {run!r} (runs: {', '.join(results.run_names)})")
    entry = results.run(run)
    check = entry.info.get("verification")
    identical = check["matching"] / check["requests"] if check and check.get("requests") else float("nan")
    return {**entry.summary, "tokens_identical": identical}


def evaluate(expr: Expression, summary_of: Callable[[str], dict], where: object) -> float:
    """The expression's value given each run's summary; NaN when a term is undefined or divides by 0."""
    def value(term: Term) -> float:
        summary = summary_of(term.run)
        if term.metric not in summary:
            raise UserError(f"{where}: run {term.run!r} has no summary metric {term.metric!r}")
        v = summary[term.metric]
        return float("nan") if v is None else float(v)

    top = value(expr.numerator)
    if expr.denominator is None:
        return top
    below = value(expr.denominator)
    return top / below if below and not math.isnan(below) else float("nan")
