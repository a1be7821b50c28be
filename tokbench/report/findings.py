"""The report's "what this shows": the winner, by how much, and what its numbers say about why."""

from __future__ import annotations

import math

from tokbench.report.collect import LabelledRun

BASELINE_STRATEGY = "static-padded"  # the batching every serving paper starts from
CLOSE_CALL = 1.03  # a lead smaller than this is within run-to-run noise on a shared CPU


def _value(run: LabelledRun, metric: str) -> float:
    v = run.summary.get(metric)
    return float("nan") if v is None else float(v)


def baseline_run(runs: list[LabelledRun]) -> LabelledRun | None:
    """The static-padded run when one is present, otherwise none (comparisons then use the runner-up)."""
    return next((r for r in runs if r.run.info.get("strategy") == BASELINE_STRATEGY
                 or r.run.name == BASELINE_STRATEGY), None)


def _best(runs: list[LabelledRun], metric: str, higher: bool) -> LabelledRun | None:
    usable = [r for r in runs if not math.isnan(_value(r, metric))]
    if not usable:
        return None
    return (max if higher else min)(usable, key=lambda r: _value(r, metric))


def findings(runs: list[LabelledRun]) -> list[str]:
    """Short sentences, most important first."""
    if len(runs) < 2:
        only = runs[0]
        return [f"One run ({only.label}): {_value(only, 'output_throughput'):,.1f} output tok/s; add more runs "
                "to compare strategies."]
    ranked = sorted(runs, key=lambda r: -_value(r, "output_throughput"))
    win, second = ranked[0], ranked[1]
    lead = _value(win, "output_throughput") / _value(second, "output_throughput")
    out = [f"**{win.label}** has the highest output throughput: {_value(win, 'output_throughput'):,.1f} tok/s, "
           f"{lead:.2f}× the runner-up {second.label}"
           + (f"; a lead under {CLOSE_CALL - 1:.0%} is within run-to-run noise, so repeat the runs before "
              "calling it." if lead < CLOSE_CALL else ".")]
    base = baseline_run(runs)
    if base is not None and base is not win and base is not second:
        out.append(f"Against the {base.label} baseline it is "
                   f"{_value(win, 'output_throughput') / _value(base, 'output_throughput'):.2f}×.")
    for metric, words in (("p99_ttft_ms", "p99 time to first token"), ("median_tpot_ms", "median time per output token")):
        best = _best(runs, metric, higher=False)
        if best is not None:
            out.append(f"Lowest {words}: {best.label} ({_value(best, metric):,.0f} ms"
                       f"{'' if best is win else f'; {win.label}: {_value(win, metric):,.0f} ms'}).")
    worst_pad = _best(runs, "padding_ratio", higher=True)
    if worst_pad is not None and _value(worst_pad, "padding_ratio") > 0.05:
        out.append(f"{worst_pad.label} spends {100 * _value(worst_pad, 'padding_ratio'):.0f}% of its computed "
                   "tokens on padding.")
    worst_frag = _best(runs, "kv_fragmentation", higher=True)
    if worst_frag is not None and _value(worst_frag, "kv_fragmentation") > 0.2:
        out.append(f"{worst_frag.label} leaves {100 * _value(worst_frag, 'kv_fragmentation'):.0f}% of its reserved "
                   "KV slots empty (fragmentation).")
    preempted = [r for r in runs if _value(r, "preemptions") > 0]
    if preempted:
        out.append("Preemptions: " + ", ".join(f"{r.label} {int(_value(r, 'preemptions'))}" for r in preempted) + ".")
    return out
