"""Was a run disturbed? The noise record of each strategy's round, and the one-line warning a reader sees.

A record holds the machine's load around the round (tokbench/environment.py: load average before
and after, the cores' worth of CPU time other processes took, other processes on the GPU) and what
the round's own steps say (tokbench/metrics/step_noise.py: a stretch of steps slower than the same
work elsewhere; with repeats, the same steps slower than in its fastest round).
"""

from __future__ import annotations

import pandas as pd

from tokbench.metrics.step_noise import ROUND_SLOW, expected_seconds, round_slowdowns, slow_stretch

OTHER_CPU_SHARE = 0.25  # other processes took at least this share of the usable cores
SLOW_SHARE = 0.10  # a slow stretch worth warning about holds at least this share of the round's step time


def round_record(steps: pd.DataFrame, load: dict, round_index: int, position: int) -> dict:
    """The noise record of one strategy's round: where it ran in the round's order, the machine's load
    around it, and its slow stretch (steps far slower than the same work elsewhere in the round)."""
    stretch = slow_stretch(steps, expected_seconds(steps)) if len(steps) else \
        {"slow_seconds": None, "slow_share": None, "slowdown": None}
    return {"round": round_index, "position": position, **load, **stretch, "round_slowdown": None, "warning": None}


def add_round_slowdowns(records: list[dict], steps: pd.DataFrame) -> None:
    """Fill each record's round_slowdown: its steps' time against the same steps in the strategy's fastest round."""
    slowdowns = round_slowdowns(steps)
    for record in records:
        record["round_slowdown"] = slowdowns.get(record["round"])


def warning(name: str, record: dict, rounds: int | None) -> str | None:
    """One line naming the strategy (and round) when the record shows a disturbance, else None.
    `rounds`: how many rounds the run has; None while that is open (--target-precision)."""
    reasons = []
    slowdown = record.get("round_slowdown")
    if slowdown is not None and slowdown >= ROUND_SLOW:
        reasons.append(f"its steps took {slowdown:.2f}× as long as the same steps in its fastest round")
    if record.get("slowdown") and (record.get("slow_share") or 0) >= SLOW_SHARE:
        reasons.append(f"its steps ran {record['slowdown']:.1f}× slower than the same work in the rest of the "
                       f"round for {record['slow_seconds']:.1f} s ({100 * record['slow_share']:.0f}% of its time)")
    others, cores = record.get("other_cpu_cores"), record.get("cores")
    if others is not None and cores and others >= OTHER_CPU_SHARE * cores:
        reasons.append(f"other processes took {others:.1f} of {cores} cores")
    if record.get("gpu_other_processes"):
        reasons.append(f"{record['gpu_other_processes']} other process(es) on the GPU")
    if not reasons:
        return None
    where = "" if rounds == 1 else f" (round {record['round'] + 1}" + (f" of {rounds})" if rounds else ")")
    load = record.get("load_average_after")
    tail = f"; load average {load:.1f} on {cores} cores" if load is not None and cores else ""
    return f"noise: {name}{where}: " + "; ".join(reasons) + tail
