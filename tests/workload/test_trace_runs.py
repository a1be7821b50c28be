"""Bar: a loaded trace runs through `tokbench run` on the tiny model, with time and length scaling.

Kept cheap: a handful of requests, lengths scaled down to tens of tokens, one strategy, no warmup.
The recorded requests must be the trace's rows after the options: same lengths, scaled arrivals.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tokbench.workload import WorkloadOptions, load_table

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"

CASES = {
    # Azure 2024: zoned timestamps, whole-second rows; arrivals compressed 10x.
    "azure2024": ("azure2024_format_sample.csv", ["--limit", "6", "--length-scale", "0.02", "--time-scale", "0.1"]),
    # Mooncake: shared prefix blocks, a window of the hour, arrivals 20x faster.
    "mooncake": (
        "mooncake_conversation_sample.jsonl",
        ["--window", "60:", "--limit", "6", "--length-scale", "0.01", "--rate-scale", "20"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_trace_runs_on_the_tiny_model(case, tmp_path):
    import tokbench.cli.run_cmd  # noqa: F401  (registers the command)
    from tokbench.cli.app import app

    name, flags = CASES[case]
    trace = TRACES / name
    argv = ["run", "--workload", str(trace), *flags, "--strategy", "tokenmaxxing", "--model", "tiny"]
    argv += ["--over-length", "clip", "--no-warmup", "--threads", "2", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output

    recorded = json.loads((tmp_path / "results.json").read_text())["workload"]
    assert recorded["num_requests"] == 6 and recorded["source"]["path"] == str(trace)
    requests = pd.read_parquet(tmp_path / "requests.parquet").sort_values("request_id")
    assert len(requests) == 6 and (requests["output_len"] >= 1).all()

    # What the run served is the trace after the same options, computed here from the loader.
    expected = load_table(str(trace), max_model_len=2048, options=_options(flags))
    assert requests["prompt_len"].tolist() == expected.prompt_len.tolist()
    assert np.allclose(requests["arrival_s"], expected.arrival_s)
    raw = load_table(str(trace), options=WorkloadOptions(window=_options(flags).window))
    stretch = _options(flags).arrival_stretch
    assert np.allclose(expected.arrival_s, (raw.arrival_s[:6] - raw.arrival_s[0]) * stretch)
    assert expected.arrival_s[-1] > 0  # the run really was online


def _options(flags: list[str]) -> WorkloadOptions:
    from tokbench.cli.workload_flags import make_options

    pairs = dict(zip(flags[::2], flags[1::2]))
    return make_options(
        limit=int(pairs["--limit"]),
        length_scale=float(pairs["--length-scale"]),
        time_scale=float(pairs.get("--time-scale", 1.0)),
        rate_scale=float(pairs.get("--rate-scale", 1.0)),
        window=pairs.get("--window"),
        over_length="clip",
    )
