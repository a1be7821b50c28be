"""What each step of the ablation ladder changes, and which step carries tokenmaxxing's gain.

The ladder (tokbench/benchmark/ablation.py) adds one idea per step. Each step is compared with the
one before it, round by round, on output throughput, TTFT and TPOT (p50 and p99) and peak KV; the
gain of tokenmaxxing over continuous batching is the product of the last three steps, so the step
whose ratio is largest (and whose interval excludes a tie) is the one that carries it.
"""

from __future__ import annotations

import math

from tokbench.benchmark.ablation import LADDER, STRATEGIES
from tokbench.metrics.intervals import format_ratio
from tokbench.report.evidence import Measured, ratio_between
from tokbench.report.tables import TextTable, estimate_cell

# (metric, column title): each shown as this step ÷ the step before
STEP_METRICS = (("output_throughput", "output tok/s"), ("median_ttft_ms", "TTFT p50"), ("p99_ttft_ms", "TTFT p99"),
                ("median_tpot_ms", "TPOT p50"), ("p99_tpot_ms", "TPOT p99"), ("peak_kv_reserved_tokens", "peak KV"))
GAIN_FROM = "continuous"  # tokenmaxxing's gain is measured against this step
WHAT = dict(LADDER)
SHORT = {"continuous-paged": "paged KV", "tokenmaxxing-nochunk": "prefills sharing steps with decodes",
         "tokenmaxxing": "chunked prefill"}


def ladder(runs: list[Measured]) -> list[Measured] | None:
    """The ladder's runs in order, when one benchmark holds every step of it (tokbench run --ablation)."""
    by_source: dict[object, dict[str, Measured]] = {}
    for r in runs:
        by_source.setdefault(r.source, {})[r.strategy or r.label] = r
    for steps in by_source.values():
        if all(name in steps for name in STRATEGIES):
            return [steps[name] for name in STRATEGIES]
    return None


def ablation_table(steps: list[Measured]) -> TextTable:
    header = ["step", "adds", "output tok/s", *(f"{title} ×" for _, title in STEP_METRICS)]
    rows = []
    for i, step in enumerate(steps):
        name = step.strategy or step.label
        changes = ["–" if i == 0 else format_ratio(ratio_between(step, steps[i - 1], metric))
                   for metric, _ in STEP_METRICS]
        rows.append([step.label, WHAT[name], estimate_cell("output_throughput", step.estimate("output_throughput")),
                     *changes])
    return TextTable(header, rows, align_left=2)


def attribution(steps: list[Measured]) -> str:
    """One paragraph: tokenmaxxing's output throughput over continuous, split into the ladder's steps."""
    by_name = {s.strategy or s.label: s for s in steps}
    start = STRATEGIES.index(GAIN_FROM)
    whole = ratio_between(by_name["tokenmaxxing"], by_name[GAIN_FROM], "output_throughput")
    parts = [(name, ratio_between(by_name[name], by_name[prev], "output_throughput"))
             for prev, name in zip(STRATEGIES[start:], STRATEGIES[start + 1:])]
    text = (f"Output throughput, tokenmaxxing ÷ continuous: {format_ratio(whole)}, which the ladder splits into "
            + "; ".join(f"{SHORT[name]} {format_ratio(e)}" for name, e in parts) + ".")
    if not whole.has_interval:
        return text + " One round per step: no interval, so no step is named as carrying the gain."
    significant = [(name, e) for name, e in parts if e.excludes(1.0)]
    if not significant:
        return text + f" No step's change is significant (n = {whole.n})."
    name, e = max(significant, key=lambda p: abs(math.log(p[1].median)))
    direction = "carries the gain" if e.median > 1 else "costs the most"
    return text + f" The {SHORT[name]} step {direction} (n = {whole.n})."
