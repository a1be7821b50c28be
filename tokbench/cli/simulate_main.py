"""What `tokbench simulate` does once its flags are read: config, cost model, simulate, write, print."""

from __future__ import annotations

import math

import typer
from rich.console import Console
from rich.table import Table

from tokbench.benchmark.config_files import config_toml
from tokbench.cli.run_flags import config_from_flags
from tokbench.cli.run_main import given_flags
from tokbench.cli.run_tables import print_summary
from tokbench.cli.simulate_cmd import DEFAULT_OUT, OWN_FLAGS
from tokbench.errors import UserError

# The predicted-against-measured table: (label, summary key)
AGAINST_ROWS = (("output tok/s", "output_throughput"), ("total tok/s", "total_token_throughput"),
                ("TTFT p50 ms", "median_ttft_ms"), ("TTFT p99 ms", "p99_ttft_ms"), ("TPOT p50 ms", "median_tpot_ms"),
                ("ITL p50 ms", "median_itl_ms"), ("E2E p50 ms", "median_e2el_ms"), ("steps", "num_steps"))


def _factors(pairs: list[str] | None) -> dict[str, float]:
    out = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UserError(f"--roofline-param {pair!r}: expected NAME=NUMBER (e.g. flops_efficiency=0.5)")
    return out


def _cost_model(config, own: dict):
    from tokbench.simulate import load_cost_model, roofline_for

    if (own["cost_model"] is None) == (own["roofline"] is None):
        raise UserError("simulate needs a cost model: --cost-model FILE or --roofline GPU (one of them)")
    if own["cost_model"] is not None:
        if own["tp"] != 1 or own["roofline_param"]:
            raise UserError("--tp and --roofline-param build a roofline: they go with --roofline, not --cost-model")
        return load_cost_model(own["cost_model"])
    return roofline_for(config, own["roofline"], tensor_parallel=own["tp"], **_factors(own["roofline_param"]))


def _fmt(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:,.1f}"


def print_against(table, against) -> None:
    out = Table(title=f"predicted / measured ({against}; ±: half the range of the measured rounds)",
                title_justify="left")
    out.add_column("metric")
    runs = list(dict.fromkeys(table["run"]))
    for run in runs:
        out.add_column(run, justify="right")
    for label, metric in AGAINST_ROWS:
        cells = []
        for run in runs:
            row = table[(table["run"] == run) & (table["metric"] == metric)].iloc[0]
            err = "" if math.isnan(row.relative_error) else f" ({row.relative_error:+.0%})"
            spread = "" if math.isnan(row.measured_spread) else f" ±{row.measured_spread:.0%}"
            cells.append(f"{_fmt(row.predicted)} / {_fmt(row.measured)}{spread}{err}")
        out.add_row(label, *cells)
    Console().print(out)


def simulate_main(ctx, params: dict) -> None:
    own = {name: params[name] for name in OWN_FLAGS}
    given = {k: v for k, v in given_flags(ctx).items() if k not in OWN_FLAGS}
    config_file = params.get("config") or own["against"]
    config = config_from_flags(given, str(config_file) if config_file else None)
    if params.get("print_config"):
        typer.echo(config_toml(config), nl=False)
        return
    # Never the config's own `out`: read from a measured results directory, it is that directory.
    out = params["out"] if "out" in given else DEFAULT_OUT
    from tokbench.results import load_results
    from tokbench.results.writer import save_results
    from tokbench.simulate import compare, save_cost_model, simulate_benchmark

    measured = load_results(own["against"]) if own["against"] else None  # a bad directory fails first
    model = _cost_model(config, own)
    results = simulate_benchmark(config, model, replicas=own["replicas"], router=own["router"],
                                 workers=own["workers"], against=own["against"])
    if own["save_cost_model"]:
        save_cost_model(model, own["save_cost_model"])
    path = save_results(results, out)
    print_summary(results.doc["runs"], title=f"tokbench simulate: summary (predicted, {model.kind} cost model)")
    if measured is not None:
        print_against(compare(load_results(path), measured), own["against"])
    console = Console(stderr=True)
    for note in results.doc["notes"]:
        console.print(f"[yellow]{note}[/]")
    console.print(f"results: {path}")
