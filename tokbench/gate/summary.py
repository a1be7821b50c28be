"""The gate's verdict as a table: printed in the terminal and written as markdown for CI job pages."""

from __future__ import annotations

import math

from tokbench.gate.baseline import Baseline
from tokbench.gate.evaluate import IMPROVED, REGRESSION, Outcome
from tokbench.report.markdown import markdown_table
from tokbench.report.metric_info import HIGHER
from tokbench.report.tables import TextTable

MARK = {REGRESSION: "FAIL", IMPROVED: "pass (improved)"}


def _num(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.4g}"


def _spread(values: list[float]) -> str:
    usable = [v for v in values if not math.isnan(v)]
    if len(values) < 2 or not usable:
        return "–"
    return f"{_num(min(usable))} … {_num(max(usable))}"


def outcome_table(outcomes: list[Outcome]) -> TextTable:
    rows = []
    for o in outcomes:
        r = o.rule
        rows.append([MARK.get(o.verdict, "pass"), r.name, _num(r.value), _num(o.candidate),
                     "–" if o.change is None else f"{o.change:+.1%}",
                     f"{'≥' if r.better == HIGHER else '≤'} {_num(r.limit())}", _spread(o.values)])
    return TextTable(["result", "metric", "baseline", "candidate", "change", "must be", "repeats (min … max)"],
                     rows, align_left=2)


def headline(outcomes: list[Outcome]) -> str:
    failed = [o for o in outcomes if o.verdict == REGRESSION]
    if failed:
        return f"FAIL: {len(failed)} of {len(outcomes)} metrics regressed ({', '.join(o.rule.name for o in failed)})"
    return f"PASS: {len(outcomes)} metrics within their thresholds"


def provenance(baseline: Baseline, repeats: int, source: str) -> str:
    rec = baseline.recorded
    where = ", ".join(str(rec[k]) for k in ("created", "cpu_model", "git_commit") if rec.get(k))
    return (f"Baseline `{baseline.path}`" + (f" (recorded {where})" if where else "")
            + f"; candidate: median of {repeats} {source}.")


def markdown_summary(baseline: Baseline, outcomes: list[Outcome], repeats: int, source: str) -> str:
    failed = [o for o in outcomes if o.verdict == REGRESSION]
    improved = [o for o in outcomes if o.verdict == IMPROVED]
    icon = "❌" if failed else "✅"
    parts = [f"## {icon} tokbench gate — {headline(outcomes)}", "", provenance(baseline, repeats, source), ""]
    parts += [f"- **regression** {o.explain()}" for o in failed]
    parts += [f"- improved beyond the threshold: {o.explain()}; consider `tokbench gate --update-baseline`"
              for o in improved]
    if failed or improved:
        parts.append("")
    parts += [markdown_table(outcome_table(outcomes)), ""]
    return "\n".join(parts)
