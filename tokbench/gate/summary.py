"""The gate's verdict as a table: printed in the terminal and written as markdown for CI job pages."""

from __future__ import annotations

import math

from tokbench.gate.evaluate import AB, IMPROVED, REGRESSION, SKIPPED, Outcome
from tokbench.report.markdown import markdown_table
from tokbench.report.metric_info import HIGHER
from tokbench.report.tables import TextTable

MARK = {REGRESSION: "FAIL", IMPROVED: "pass (improved)", SKIPPED: "not judged"}


def _num(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4g}"


def _spread(values: list[float]) -> str:
    usable = [v for v in values if not math.isnan(v)]
    if len(values) < 2 or not usable:
        return "–"
    return f"{_num(min(usable))} … {_num(max(usable))}"


def _limit(o: Outcome) -> str:
    r = o.rule
    sign = "≥" if r.better == HIGHER else "≤"
    if o.mode == SKIPPED:
        return "–"
    if o.mode == AB:
        t = r.ab_tolerance()
        return f"ratio {sign} {_num(1 - t if r.better == HIGHER else 1 + t)}"
    return f"{sign} {_num(r.limit())}"


def _change(o: Outcome) -> str:
    if o.change is None:
        return "–"
    text = f"{o.change:+.1%}"
    q = o.ratio
    if o.mode == AB and q is not None and q.has_interval:
        text += f" [{q.lo - 1:+.1%}, {q.hi - 1:+.1%}]"
    return text


def outcome_table(outcomes: list[Outcome]) -> TextTable:
    rows = []
    for o in outcomes:
        against = f"ref {_num(o.reference)}" if o.mode == AB else _num(o.rule.value)
        judged = o.point if o.mode != AB else o.candidate.median
        rows.append([MARK.get(o.verdict, "pass"), o.rule.name, o.mode if o.mode != SKIPPED else "–", against,
                     _num(judged), _change(o), _limit(o), _spread(o.values)])
    return TextTable(["result", "metric", "judged", "against", "candidate", "change", "must be",
                      "rounds (min … max)"], rows, align_left=3)


def headline(outcomes: list[Outcome]) -> str:
    failed = [o for o in outcomes if o.verdict == REGRESSION]
    judged = [o for o in outcomes if o.verdict != SKIPPED]
    skipped = len(outcomes) - len(judged)
    tail = f" ({skipped} not judged on this machine)" if skipped else ""
    if failed:
        return f"FAIL: {len(failed)} of {len(judged)} metrics regressed ({', '.join(o.rule.name for o in failed)}){tail}"
    return f"PASS: {len(judged)} metrics within their thresholds{tail}"


def markdown_summary(outcomes: list[Outcome], provenance_lines: list[str]) -> str:
    failed = [o for o in outcomes if o.verdict == REGRESSION]
    improved = [o for o in outcomes if o.verdict == IMPROVED]
    icon = "❌" if failed else "✅"
    parts = [f"## {icon} tokbench gate — {headline(outcomes)}", "", *provenance_lines, ""]
    parts += [f"- **regression** {o.explain()}" for o in failed]
    parts += [f"- improved beyond the threshold: {o.explain()}; consider `tokbench gate --update-baseline`"
              for o in improved]
    if failed or improved:
        parts.append("")
    parts += [markdown_table(outcome_table(outcomes)), ""]
    return "\n".join(parts)
