"""The report's "what this shows": who leads, whether the evidence says so, and what the numbers say about why.

Speed and latency claims come from tokbench/report/evidence.py (a winner only where a 95% interval
excludes a tie); padding, fragmentation and preemptions are properties of the schedule, the same in
every round, and are stated as facts.
"""

from __future__ import annotations

from tokbench.metrics.intervals import ratio_verdict
from tokbench.metrics.thrash import THRASH_METRICS, thrash_advice
from tokbench.report.collect import LabelledRun
from tokbench.report.evidence import SINGLE_ROUND, Measured, baseline_of, leader, ratio_between, throughput_verdicts

LATENCY = (("p99_ttft_ms", "TTFT p99"), ("median_tpot_ms", "TPOT p50"))


def measured(runs: list[LabelledRun]) -> list[Measured]:
    return [r.measured for r in runs]


def baseline_run(runs: list[LabelledRun]) -> LabelledRun | None:
    """The run ratios are taken against: static-padded when present, else the first."""
    base = baseline_of(measured(runs))
    return next((r for r in runs if base is not None and r.label == base.label), None)


def _value(m: Measured, metric: str) -> float:
    return m.estimate(metric).median


def _latency_verdict(runs: list[Measured], metric: str, words: str) -> str | None:
    usable = [r for r in runs if _value(r, metric) == _value(r, metric)]
    if len(usable) < 2:
        return None
    best, second = sorted(usable, key=lambda r: _value(r, metric))[:2]
    return ratio_verdict(best.label, second.label, ratio_between(best, second, metric), higher_is_better=False,
                         metric=words) + "."


def findings(runs: list[LabelledRun]) -> list[str]:
    """Short sentences, most important first."""
    ms = measured(runs)
    if len(ms) < 2:
        only = ms[0]
        return [f"One run ({only.label}): {_value(only, 'output_throughput'):,.1f} output tok/s; add more runs "
                "to compare strategies."]
    top = leader(ms)
    rounds = f"median of {top.n} rounds" if top.n > 1 else "one round"
    out = [f"**{top.label}** has the highest output throughput: {_value(top, 'output_throughput'):,.1f} tok/s "
           f"({rounds})."]
    if all(m.n < 2 for m in ms):
        out.append(SINGLE_ROUND[0].upper() + SINGLE_ROUND[1:] + ".")
    else:
        out += [line[0].upper() + line[1:] + "." for line in throughput_verdicts(ms)]
        out += [v[0].upper() + v[1:] for metric, words in LATENCY if (v := _latency_verdict(ms, metric, words))]
    out += _schedule_facts(ms)
    return out


def _schedule_facts(ms: list[Measured]) -> list[str]:
    out = []
    worst_pad = max(ms, key=lambda r: _or_zero(_value(r, "padding_ratio")))
    if _or_zero(_value(worst_pad, "padding_ratio")) > 0.05:
        out.append(f"{worst_pad.label} spends {100 * _value(worst_pad, 'padding_ratio'):.0f}% of its computed "
                   "tokens on padding.")
    worst_frag = max(ms, key=lambda r: _or_zero(_value(r, "kv_fragmentation")))
    if _or_zero(_value(worst_frag, "kv_fragmentation")) > 0.2:
        out.append(f"{worst_frag.label} leaves {100 * _value(worst_frag, 'kv_fragmentation'):.0f}% of its reserved "
                   "KV slots empty (fragmentation).")
    preempted = [r for r in ms if _or_zero(_value(r, "preemptions")) > 0]
    if preempted:
        out.append("Preemptions (median per round): "
                   + ", ".join(f"{r.label} {_value(r, 'preemptions'):,.0f}" for r in preempted) + ".")
    out += [advice for r in ms if (advice := thrash_advice(r.label, r.medians(THRASH_METRICS)))]
    return out


def _or_zero(value: float) -> float:
    return value if value == value else 0.0
