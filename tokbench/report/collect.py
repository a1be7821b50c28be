"""Gather the runs of one or more results files under labels that stay unique across files."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tokbench.report.evidence import Measured
from tokbench.results.loader import Results, RunResult


@dataclass(frozen=True)
class LabelledRun:
    label: str  # the run name, prefixed with its results directory when names repeat across files
    source: Results
    run: RunResult

    @property
    def summary(self) -> dict:
        return self.run.summary

    @property
    def measured(self) -> Measured:
        """Its rounds as evidence; runs of one results file pair round by round."""
        return Measured.of(self.label, self.run.info, self.source.path or id(self.source))


def collect_runs(results: list[Results]) -> list[LabelledRun]:
    counts = Counter(name for res in results for name in res.run_names)
    out: list[LabelledRun] = []
    for i, res in enumerate(results):
        # The directory name tells runs apart; fall back to the argument position if that repeats too.
        prefix = res.path.parent.name or f"#{i + 1}"
        if sum(r.path.parent.name == prefix for r in results) > 1:
            prefix = f"#{i + 1} {prefix}"
        for name in res.run_names:
            label = f"{prefix}/{name}" if counts[name] > 1 else name
            out.append(LabelledRun(label, res, res.run(name)))
    return out
