"""A sweep report's charts: throughput against p99 latency with the Pareto front, capacity bars, heatmaps."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np

from tokbench.report.figure import Chart, colors, new_figure, to_png
from tokbench.report.sweep_data import SweepData, SweepRow
from tokbench.report.sweep_pareto import pareto_front
from tokbench.sweep.keys import format_value, short_key

LATENCIES = (("p99_ttft_ms", "p99 TTFT (ms)"), ("p99_tpot_ms", "p99 TPOT (ms)"))
MAX_HEATMAPS = 3


def pareto_chart(data: SweepData) -> Chart | None:
    if not data.rows:
        return None
    palette = colors(data.strategies)
    fig, axes = new_figure(2, width=5.4, height=3.8)
    for ax, (metric, title) in zip(axes[0], LATENCIES):
        pts = [(r.value(metric), r.value("output_throughput")) for r in data.rows]
        if all(math.isnan(x) for x, _ in pts):
            ax.text(0.5, 0.5, f"no {title.split(' (')[0]}:\nno run has a value", ha="center", va="center",
                    transform=ax.transAxes, color="#59636e")
            ax.set_title(f"Throughput against {title.split(' (')[0]}", fontsize=10)
            continue
        overall = set(pareto_front(pts))
        for name in data.strategies:
            mine = [i for i, r in enumerate(data.rows) if r.strategy == name]
            xs, ys = [pts[i][0] for i in mine], [pts[i][1] for i in mine]
            ax.scatter(xs, ys, s=28, color=palette[name], label=name, alpha=0.85, zorder=3)
            front = [mine[j] for j in pareto_front([pts[i] for i in mine])]
            if len(front) > 1:
                ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], color=palette[name],
                        linewidth=1.0, alpha=0.7, drawstyle="steps-post")
        ring = sorted(overall)
        ax.scatter([pts[i][0] for i in ring], [pts[i][1] for i in ring], s=110, facecolors="none",
                   edgecolors="black", linewidths=1.3, zorder=4, label="Pareto front (all)")
        ax.set_xlabel(title)
        ax.set_ylabel("output throughput (tok/s)")
        ax.set_title(f"Throughput against {title.split(' (')[0]}", fontsize=10)
        if _spread(pts, 0) > 20:
            ax.set_xscale("log")
    axes[0][0].legend(fontsize=8)
    return Chart("pareto", "Throughput against tail latency",
                 "One dot per run of every complete point, colored by strategy; each strategy's line joins its "
                 "Pareto front, and black rings mark the front over all strategies (no other point has both "
                 "higher throughput and lower latency). Up and to the left is better.", to_png(fig))


def _spread(pts, axis: int) -> float:
    vals = [p[axis] for p in pts if not math.isnan(p[axis]) and p[axis] > 0]
    return max(vals) / min(vals) if vals else 0.0


def capacity_chart(data: SweepData) -> Chart | None:
    searches = data.capacity
    if not searches:
        return None
    palette = colors(list(dict.fromkeys(s["strategy"] for s in searches)))
    fig, axes = new_figure(1, width=max(4.5, 1.2 * len(searches) + 2), height=3.8)
    ax = axes[0][0]
    for i, s in enumerate(searches):
        lo, hi = s["bracket"]
        height = lo or 0.0
        ax.bar(i, height, color=palette[s["strategy"]], hatch="//" if s["status"] != "found" else None,
               edgecolor="black" if s["non_monotone"] else None)
        if lo and hi:  # the bracket the answer lies in
            ax.errorbar(i, (lo + hi) / 2, yerr=(hi - lo) / 2, color="black", capsize=4, linewidth=1)
        text = {"found": f"×{lo:.3g}", "above-max": f"≥ ×{lo:.3g}" if lo else "–",
                "below-min": f"< ×{hi:.3g}" if hi else "–"}.get(s["status"], s["status"])
        ax.text(i, max(height, hi or 0), text, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(searches)), [s["label"] for s in searches], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("capacity (× the workload's arrival rate)")
    first = searches[0]
    slo = ", ".join(f"{k.removesuffix('_ms')} ≤ {v:g} ms" for k, v in first["slo"].items())
    ax.set_title(f"Highest load with ≥ {first['attainment_target']:.0%} of requests within {slo}", fontsize=10)
    return Chart("capacity", "Capacity under the SLO",
                 "The highest arrival-rate multiplier each configuration sustained; the whisker spans the final "
                 "bracket (passed at its bottom, failed at its top). Hatched: the search did not close (above the "
                 "largest or below the smallest rate tried, or out of probes); outlined: attainment was not "
                 "monotone in the rate (see the probes table).", to_png(fig))


def _numeric(data: SweepData, key: str) -> bool:
    return all(isinstance(r.values.get(key), (int, float)) and not isinstance(r.values.get(key), bool)
               for r in data.rows)


def heatmap_pairs(data: SweepData) -> list[tuple[str, str]]:
    keys = [k for k in data.swept_keys() if _numeric(data, k)]
    return list(combinations(keys, 2))[:MAX_HEATMAPS]


def _grid(rows: list[SweepRow], kx: str, ky: str, metric: str):
    xs = sorted({r.values[kx] for r in rows})
    ys = sorted({r.values[ky] for r in rows})
    cells = np.full((len(ys), len(xs)), np.nan)
    for yi, y in enumerate(ys):
        for xi, x in enumerate(xs):
            vals = [r.value(metric) for r in rows if r.values[kx] == x and r.values[ky] == y]
            vals = [v for v in vals if not math.isnan(v)]
            if vals:
                cells[yi, xi] = float(np.mean(vals))  # over the other swept settings and repeats
    return xs, ys, cells


def heatmap_chart(data: SweepData, kx: str, ky: str, metric: str = "output_throughput") -> Chart:
    names = data.strategies
    fig, axes = new_figure(len(names), width=3.6, height=3.2)
    finite = [r.value(metric) for r in data.rows if not math.isnan(r.value(metric))]
    vmin, vmax = (min(finite), max(finite)) if finite else (0, 1)
    for ax, name in zip(axes[0], names):
        xs, ys, cells = _grid([r for r in data.rows if r.strategy == name], kx, ky, metric)
        ax.grid(False)
        ax.imshow(cells, origin="lower", cmap="viridis", vmin=vmin, vmax=vmax, aspect="auto")
        for (yi, xi), v in np.ndenumerate(cells):
            ax.text(xi, yi, "–" if math.isnan(v) else f"{v:,.0f}", ha="center", va="center", fontsize=8,
                    color="white" if not math.isnan(v) and v < (vmin + vmax) / 2 else "black")
        ax.set_xticks(range(len(xs)), [format_value(x) for x in xs], fontsize=8)
        ax.set_yticks(range(len(ys)), [format_value(y) for y in ys], fontsize=8)
        ax.set_xlabel(short_key(kx))
        ax.set_ylabel(short_key(ky))
        ax.set_title(name, fontsize=10)
    key = f"heatmap_{short_key(kx)}_{short_key(ky)}"
    return Chart(key, f"Output throughput over {short_key(kx)} × {short_key(ky)}",
                 "Output tokens per second in each cell (the mean over any other swept setting), one panel per "
                 "strategy on a shared color scale; brighter is higher.", to_png(fig))


def sweep_charts(data: SweepData) -> list[Chart]:
    charts = [pareto_chart(data), capacity_chart(data)]
    charts += [heatmap_chart(data, kx, ky) for kx, ky in heatmap_pairs(data)]
    return [c for c in charts if c is not None]
