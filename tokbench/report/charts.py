"""The report's charts, each drawn from summaries or raw tables of the compared runs."""

from __future__ import annotations

import numpy as np

from tokbench.metrics.intervals import estimate
from tokbench.metrics.summary import latency_columns
from tokbench.report.collect import LabelledRun
from tokbench.report.figure import Chart, colors, new_figure, to_png
from tokbench.report.metric_info import metric_info

THROUGHPUTS = ("output_throughput", "total_token_throughput", "prefill_throughput", "decode_throughput")
EFFICIENCY = ("padding_ratio", "kv_fragmentation", "kv_utilization", "token_budget_utilization")


ONE_ROUND = " With repeats, each run is drawn from one round: the one nearest its median output throughput."


def _repeated(runs: list[LabelledRun]) -> bool:
    return any(len(r.run.rounds) > 1 for r in runs)


def _typical(r: LabelledRun):
    """The run's tables of one round (its typical one): rounds restart the clock, so they do not overlay."""
    return r.run.of_round(r.run.typical_round) if len(r.run.rounds) > 1 else r.run


def _error_bars(runs: list[LabelledRun], metric: str, scale: float) -> np.ndarray:
    """Distance from each median to its 95% interval's ends (0 without an interval), for matplotlib's yerr."""
    out = np.zeros((2, len(runs)))
    for i, r in enumerate(runs):
        e = estimate([s.get(metric) for s in r.run.rounds])
        if e.has_interval:
            out[:, i] = [max(0.0, e.median - e.lo) * scale, max(0.0, e.hi - e.median) * scale]
    return out


def _bars(runs: list[LabelledRun], metrics: tuple[str, ...], scale: float = 1.0):
    labels = [r.label for r in runs]
    palette = colors(labels)
    fig, axes = new_figure(len(metrics))
    for ax, metric in zip(axes[0], metrics):
        values = [np.nan if r.summary.get(metric) is None else r.summary[metric] * scale for r in runs]
        bars = ax.bar(range(len(runs)), np.nan_to_num(values), color=[palette[x] for x in labels],
                      yerr=_error_bars(runs, metric, scale), capsize=3)
        ax.bar_label(bars, labels=["–" if np.isnan(v) else f"{v:,.1f}" for v in values], fontsize=8)
        info = metric_info(metric)
        ax.set_title(info.label, fontsize=10)
        ax.set_ylabel("%" if info.unit == "%" else info.unit)
        ax.set_xticks(range(len(runs)), labels, rotation=25, ha="right", fontsize=8)
    return fig


def throughput_chart(runs: list[LabelledRun]) -> Chart:
    return Chart("throughput", "Throughput by strategy", "Tokens per second; higher is better. Prefill and "
                 "decode split each step's time by its share of prefill and decode tokens."
                 + (" Bars are medians over rounds; whiskers their 95% intervals." if _repeated(runs) else ""),
                 to_png(_bars(runs, THROUGHPUTS)))


def efficiency_chart(runs: list[LabelledRun]) -> Chart:
    return Chart("efficiency", "Padding, fragmentation and utilization",
                 "Padding and KV fragmentation are waste (lower is better); utilizations are use of what was "
                 "reserved (higher is better).", to_png(_bars(runs, EFFICIENCY, scale=100.0)))


def latency_cdf_chart(runs: list[LabelledRun]) -> Chart:
    palette = colors([r.label for r in runs])
    fig, axes = new_figure(3)
    for ax, (col, title) in zip(axes[0], (("ttft", "TTFT"), ("tpot", "TPOT"), ("e2el", "E2E latency"))):
        for r in runs:
            ms = np.sort(latency_columns(_typical(r).requests)[col].dropna().to_numpy() * 1000.0)
            if ms.size:
                ax.step(ms, np.arange(1, ms.size + 1) / ms.size, where="post", label=r.label,
                        color=palette[r.label])
        ax.set_title(f"{title} CDF", fontsize=10)
        ax.set_xlabel("ms")
        ax.set_ylabel("fraction of requests")
        ax.set_ylim(0, 1.02)
    axes[0][0].legend(fontsize=8)
    return Chart("latency_cdf", "Latency distributions", "Each curve is the fraction of requests served within "
                 "a latency; further left (and steeper) is better." + (ONE_ROUND if _repeated(runs) else ""),
                 to_png(fig))


def _with_steps(runs: list[LabelledRun]) -> list[LabelledRun]:
    """Runs that recorded steps (a peer backend such as vLLM has request timings only)."""
    return [r for r in runs if len(r.run.steps)]


def _over_time(runs: list[LabelledRun], columns: tuple[tuple[str, str, str], ...]):
    palette = colors([r.label for r in runs])
    fig, axes = new_figure(len(columns), width=6.0)
    for ax, (col, title, ylabel) in zip(axes[0], columns):
        for r in _with_steps(runs):
            steps = _typical(r).steps
            ax.plot(steps["start_s"], steps[col], label=r.label, color=palette[r.label], linewidth=1.0)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("time since start (s)")
        ax.set_ylabel(ylabel)
    axes[0][0].legend(fontsize=8)
    return fig


def kv_batch_chart(runs: list[LabelledRun]) -> Chart | None:
    if not _with_steps(runs):
        return None
    fig = _over_time(runs, (("kv_used_tokens", "KV tokens in use", "tokens"),
                            ("kv_reserved_tokens", "KV token slots reserved", "token slots"),
                            ("batch_size", "Batch size", "sequences in the step")))
    return Chart("kv_batch_time", "KV usage and batch size over time", "Per step. Reserved above used is "
                 "fragmentation; a run that ends further left finished the workload sooner."
                 + (ONE_ROUND if _repeated(runs) else ""), to_png(fig))


def step_mix_chart(runs: list[LabelledRun]) -> Chart | None:
    runs = _with_steps(runs)
    if not runs:
        return None
    ncols = min(len(runs), 4)
    nrows = -(-len(runs) // ncols)
    fig, axes = new_figure(ncols, nrows, width=4.2, height=2.8)
    for ax, r in zip(axes.flat, runs):
        s = _typical(r).steps
        ax.stackplot(s["step"], s["prefill_tokens"], s["decode_tokens"], s["padded_tokens"],
                     labels=("prefill", "decode", "padding"), colors=("#4C72B0", "#55A868", "#C8C8C8"),
                     step="post")
        ax.set_title(r.label, fontsize=10)
        ax.set_xlabel("step")
        ax.set_ylabel("tokens")
    for ax in list(axes.flat)[len(runs):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8, loc="upper right")
    return Chart("step_mix", "Prefill–decode mix per step", "Tokens computed in each step: prefill, decode, and "
                 "padding (computed but wasted)." + (ONE_ROUND if _repeated(runs) else ""), to_png(fig))


def all_charts(runs: list[LabelledRun]) -> list[Chart]:
    """Every chart the runs have data for: the per-step ones need at least one run with step records."""
    charts = [throughput_chart(runs), latency_cdf_chart(runs), efficiency_chart(runs), kv_batch_chart(runs),
              step_mix_chart(runs)]
    return [c for c in charts if c is not None]
