"""PNG plots for the profile report: length histograms, length CDFs, arrival-rate timeline."""

from __future__ import annotations

import io

import numpy as np

from tokbench.workload.table import LengthTable

CDF_POINTS = np.linspace(0, 100, 201)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def profile_plots(table: LengthTable, profile: dict) -> dict[str, bytes]:
    """{name: PNG bytes}; the timeline only when requests arrive over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {"prompt": table.prompt_len, "output": table.output_len}
    plots = {}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, (name, values) in zip(axes, series.items()):
        bins = np.geomspace(max(1, values.min()), values.max() + 1, 50)  # heavy tails read best on log-x
        ax.hist(values, bins=bins, color="tab:blue" if name == "prompt" else "tab:orange")
        ax.set_xscale("log")
        ax.set(title=f"{name} length", xlabel="tokens", ylabel="requests")
    plots["lengths-histogram"] = _png(fig)

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in series.items():
        ax.plot(np.percentile(values, CDF_POINTS), CDF_POINTS / 100, label=name)
    ax.set_xscale("log")
    ax.set(title="length CDF", xlabel="tokens", ylabel="fraction of requests")
    ax.legend()
    ax.grid(alpha=0.3)
    plots["lengths-cdf"] = _png(fig)

    arrivals = profile.get("arrivals")
    if arrivals is not None:
        rates = np.asarray(arrivals["timeline"]["rate_per_s"])
        bin_s = arrivals["timeline"]["bin_s"]
        fig, ax = plt.subplots(figsize=(10, 3))
        ax.step(np.arange(rates.size) * bin_s, rates, where="post")
        ax.axhline(arrivals["mean_rate_per_s"], color="gray", linestyle="--", label="mean")
        ax.set(title=f"arrival rate ({bin_s:g} s bins)", xlabel="seconds from first request", ylabel="req/s")
        ax.legend()
        plots["arrival-rate"] = _png(fig)
    return plots
