"""The profile as rows of text, shared by the terminal tables and the Markdown/HTML report."""

from __future__ import annotations

import shlex

import numpy as np

from tokbench.profile.arrival_stats import MIN_TICKS_PER_WINDOW, MIN_WINDOWS
from tokbench.workload.notes import source_notes as workload_notes
from tokbench.workload.options import option_flags

LENGTH_HEADER = ("tokens", "p50", "p90", "p99", "max", "mean", "p90/p10", "p99/p50", "CV")
BATCHING_HEADER = (
    "batch size",
    "prefill waste",
    "decode waste",
    "token budget",
    "FFD prompts",
    "FFD prompt+output",
)
_SPARK = "▁▂▃▄▅▆▇█"


def length_rows(profile: dict) -> list[tuple[str, ...]]:
    rows = []
    for name in ("prompt", "output", "total"):
        s = profile[name]
        numbers = (f"{s[k]:,.0f}" for k in ("p50", "p90", "p99", "max", "mean"))
        ratios = (f"{s['p90_over_p10']:.1f}", f"{s['p99_over_p50']:.1f}", f"{s['cv']:.2f}")
        rows.append((name, *numbers, *ratios))
    return rows


def _per_window(values: dict, fmt: str) -> str:
    shown = [f"{fmt.format(v)} ({w})" for w, v in values.items() if v is not None]
    return ", ".join(shown) or "n/a (trace too short or clock too coarse)"


def sparkline(values: list[float], width: int = 60) -> str:
    """Rates as block characters, averaged down to at most `width` characters."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return ""
    groups = np.array_split(data, min(width, data.size))
    means = np.array([g.mean() for g in groups])
    top = means.max()
    levels = np.zeros(means.size, int) if top <= 0 else np.rint(means / top * (len(_SPARK) - 1)).astype(int)
    return "".join(_SPARK[i] for i in levels)


def _seconds(value: float) -> str:
    return f"{value:,.4g} s"


def _burstiness_rows(a: dict) -> list[tuple[str, str]]:
    rows = []
    if a["interarrival_cv"] is not None:
        rows.append(("inter-arrival CV", f"{a['interarrival_cv']:.2f} (Poisson = 1)"))
    else:
        rows.append(("inter-arrival CV", f"not measured: mean gap {_seconds(a['interarrival_mean_s'])} is under "
                                         f"{MIN_TICKS_PER_WINDOW} clock ticks"))
    if a["timestamp_resolution_s"] > 0:
        per_tick = a["index_of_dispersion_per_tick"]
        text = f"n/a (fewer than {MIN_WINDOWS} ticks)" if per_tick is None else f"{per_tick:.2f} (Poisson = 1)"
        rows.append(("index of dispersion per tick", text))
    return rows


def arrival_rows(profile: dict) -> list[tuple[str, str]]:
    a, c = profile["arrivals"], profile["concurrency"]
    gaps = a["idle_gaps"]
    rows = [
        ("duration", f"{a['duration_s']:,.1f} s"),
        ("mean rate", f"{a['mean_rate_per_s']:.3f} req/s"),
        ("peak rate", _per_window(a["peak_rate_per_s"], "{:.2f}")),
        *_burstiness_rows(a),
        ("index of dispersion", _per_window(a["index_of_dispersion"], "{:.2f}")),
        (
            f"idle gaps >= {gaps['threshold_s']:.4g} s",
            f"{gaps['count']:,} ({gaps['fraction_of_time']:.0%} of the time, longest {gaps['longest_s']:.1f} s)",
        ),
        ("concurrency (est.)", f"mean {c['mean']:.1f}, p50 {c['p50']:.0f}, p99 {c['p99']:.0f}, max {c['max']:,}"),
    ]
    tick = a["timestamp_resolution_s"]
    if tick > 0:
        rows.insert(1, ("clock tick", f"{_seconds(tick)} ({a['zero_gap_fraction']:.0%} of gaps are 0)"))
    timeline = a["timeline"]
    peak = max(timeline["rate_per_s"])
    rows.append((f"rate over time ({timeline['bin_s']:g} s bins)", f"{sparkline(timeline['rate_per_s'])} max {peak:.2f}/s"))
    return rows


def target_line(profile: dict) -> str:
    t = profile["target"]
    return (
        f"Served as `tokbench run` would: model {t['model']}, max_model_len {t['max_model_len']:,}, KV budget "
        f"{t['kv_budget_tokens']:,} token slots ({t['kv_budget_source']})"
    )


FIT_HEADER = ("tokens", "trace p50", "trace p90", "trace max", "served p50", "served p90", "served max")


def fit_title(profile: dict) -> str:
    fit = profile["fit"]
    verb = "dropped" if fit["over_length"] == "drop" else "clipped"
    return (
        f"Trace vs what run serves: {fit['rewritten']:,} of {fit['requests']:,} requests {verb} at max_model_len "
        f"{fit['max_model_len']:,}, {fit['tokens_lost_fraction']:.0%} of the tokens not served"
    )


def fit_rows(profile: dict) -> list[tuple[str, ...]]:
    """The trace's lengths beside the served ones (shown when requests were rewritten)."""
    trace = profile["fit"]["trace"]
    return [
        (name, *(f"{trace[name][k]:,.0f}" for k in ("p50", "p90", "max")),
         *(f"{profile[name][k]:,.0f}" for k in ("p50", "p90", "max")))
        for name in ("prompt", "output", "total")
    ]


def batching_rows(profile: dict) -> list[tuple[str, ...]]:
    padding = list(profile["padding"].items())
    packing = list(profile["packing"]["budgets"].items())
    rows = []
    for i in range(max(len(padding), len(packing))):
        left = ("", "", "")
        if i < len(padding):
            batch, waste = padding[i]
            left = (batch, f"{waste['prefill_waste']:.1%}", f"{waste['decode_waste']:.1%}")
        right = ("", "", "")
        if i < len(packing):
            budget, packed = packing[i]
            right = (budget, f"{packed['prompt']['efficiency']:.1%}", f"{packed['footprint']['efficiency']:.1%}")
        rows.append((*left, *right))
    return rows


def source_notes(profile: dict) -> list[str]:
    return workload_notes(profile["source"])


def prefix_line(profile: dict) -> str | None:
    reuse = profile["prefix_reuse"]
    if reuse is None:
        return None
    return (
        f"Prefix reuse: {reuse['reused_token_fraction']:.1%} of prompt tokens repeat an earlier prefix "
        f"({reuse['reused_block_fraction']:.1%} of {reuse['blocks']:,} blocks of {reuse['block_tokens']} tokens; "
        f"{reuse['requests_with_reuse_fraction']:.0%} of requests reuse some)"
    )


def run_command(profile: dict, *, seed: int = 0, target_flags: list[str] | None = None) -> str:
    """The `tokbench run` line that serves what was profiled: the same workload and options, the
    over-length choice when requests were rewritten, the target (model, max_model_len, KV budget),
    then the recommended strategy and knobs. Every word is a flag `run` accepts."""
    source = profile["source"]
    workload = source.get("path") or source.get("name", "WORKLOAD")
    options = {k: v for k, v in source.get("options", {}).items() if k != "over_length"}
    words = ["tokbench", "run", "--workload", workload, *option_flags(options)]
    if profile["fit"]["rewritten"]:
        words.append(f"--over-length={profile['fit']['over_length']}")
    if seed:
        words.append(f"--seed={seed}")
    words += target_flags or []
    return " ".join(shlex.quote(w) for w in words) + " " + profile["recommendation"]["flags"]
