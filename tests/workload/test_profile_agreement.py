"""Bar: on real traces (and the Azure/BurstGPT format samples) every statistic `tokbench profile
--json` reports agrees within 0.5% with an independent computation from the raw file
(independent_profile.py: plain Python, written from the docs, sharing no code with tokbench),
for the trace as `run` would serve it (clipped or dropped at max_model_len).

The comparison walks the whole JSON: a statistic added to the profile without an independent
counterpart fails here, so "every statistic" stays every statistic. The files are the samples in
tests/data/traces; TOKBENCH_AGREEMENT_TRACES=dir-or-file[:...] adds others (e.g. ../shared/traces)."""

import json
import math
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from . import independent_profile as independent

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"
TOLERANCE = 0.005
NOT_STATISTICS = ("source", "target", "recommendation")  # echoes of the input, and the derived advice
READERS = {  # the independent reader for a file, by a word in its name
    "mooncake": independent.read_mooncake,
    "sharegpt_lengths": independent.read_lengths,
    "azure": independent.read_azure,
    "burstgpt": independent.read_burstgpt,
}
# Targets: run's defaults (tiny: max_model_len 2048, KV 16 x 2048), and one with another model's
# length limit, dropping and a given budget.
TARGETS = {
    "default": ([], {}),
    "drop-4096": (
        ["--model", "llama-1b", "--max-model-len", "4096", "--over-length", "drop", "--kv-budget-tokens", "50000"],
        {"max_model_len": 4096, "over_length": "drop", "kv_budget": 50000},
    ),
}


def _reader(path: Path):
    return next(reader for word, reader in READERS.items() if word in path.name)


def _files() -> list[Path]:
    files = sorted(p for p in TRACES.iterdir() if p.suffix in (".csv", ".jsonl"))
    for entry in filter(None, os.environ.get("TOKBENCH_AGREEMENT_TRACES", "").split(":")):
        extra = Path(entry)
        files += sorted(p for p in extra.iterdir() if p.suffix in (".csv", ".jsonl")) if extra.is_dir() else [extra]
    return files


CASES = [(path, "default") for path in _files()] + [(TRACES / "mooncake_conversation_sample.jsonl", "drop-4096")]


def cli_profile(path: Path, *flags: str) -> dict:
    import tokbench.cli.profile_cmd  # noqa: F401  (registers the command)
    from tokbench.cli.app import app

    result = CliRunner().invoke(app, ["profile", str(path), "--json", *flags])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_agrees(ours, theirs, where: str = "profile") -> int:
    """Leaf-by-leaf comparison; returns how many numbers were compared."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), (where, sorted(ours), sorted(theirs))
        return sum(assert_agrees(ours[k], theirs[k], f"{where}.{k}") for k in theirs)
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), (where, len(ours), len(theirs))
        return sum(assert_agrees(a, b, f"{where}[{i}]") for i, (a, b) in enumerate(zip(ours, theirs)))
    if theirs is None or isinstance(theirs, str):
        assert ours == theirs, (where, ours, theirs)
        return 0
    if isinstance(theirs, int) and not isinstance(theirs, bool):
        assert ours == theirs, (where, ours, theirs)  # counts are exact
        return 1
    # The timeline is printed rounded to 4 decimals.
    absolute = 1e-4 if ".timeline." in where else 1e-9
    assert math.isclose(ours, theirs, rel_tol=TOLERANCE, abs_tol=absolute), (where, ours, theirs)
    return 1


@pytest.fixture(scope="module", params=CASES, ids=lambda case: f"{case[0].name}-{case[1]}")
def both(request):
    path, target = request.param
    flags, settings = TARGETS[target]
    ours = cli_profile(path, *flags)
    return path.name, ours, independent.profile(*_reader(path)(path), **settings)


def test_every_statistic_agrees_with_the_raw_file(both):
    name, ours, theirs = both
    statistics = {k: v for k, v in ours.items() if k not in NOT_STATISTICS}
    compared = assert_agrees(statistics, theirs)
    assert compared > 60, (name, compared)  # the walk really reached the numbers


def test_recommendation_follows_the_documented_rule(both):
    _, ours, theirs = both
    waste, kv = theirs["padding"]["32"], theirs["kv"]
    expected = {
        (True, True): "tokenmaxxing",
        (True, False): "continuous",
        (False, True): "ffd-packing",
        (False, False): "static-padded",
    }[(waste["decode_waste"] >= 0.25, waste["prefill_waste"] >= 0.25)]
    slots = kv["continuous_slots"]
    if expected == "continuous" and kv["in_flight"] > slots and kv["paged_sequences"]["p50"] >= 1.5 * slots:
        expected = "tokenmaxxing"  # paged KV holds 1.5x what max_model_len slots do
    rec = ours["recommendation"]
    assert rec["strategy"] == expected
    assert rec["flags"].startswith(f"--strategy {expected}") and rec["command"].startswith("tokbench run --workload ")
    assert any(f"{100 * waste['decode_waste']:.1f}%" in reason for reason in rec["reasons"])


def test_profile_covers_the_quirks_it_claims():
    """The samples do exercise what the comparison above relies on."""
    azure24 = cli_profile(TRACES / "azure2024_format_sample.csv")
    assert azure24["source"]["arrivals_raised_to_previous_row"] > 0
    burst = cli_profile(TRACES / "burstgpt_format_sample.csv")
    assert burst["source"]["failed_requests_excluded"] > 0
    assert burst["arrivals"]["timestamp_resolution_s"] == 1.0  # whole-second clock detected
    mooncake = cli_profile(TRACES / "mooncake_conversation_sample.jsonl")
    assert mooncake["arrivals"]["timestamp_resolution_s"] == 3.0  # the ~3 s clock, read without its jitter
    assert mooncake["arrivals"]["interarrival_cv"] is None  # it would measure the clock
    assert mooncake["arrivals"]["index_of_dispersion_per_tick"] is not None  # measured above the tick
    assert mooncake["prefix_reuse"]["reused_token_fraction"] > 0.2
    assert mooncake["fit"]["rewritten"] > 0  # the clipping path is compared too
    assert burst["arrivals"]["interarrival_cv"] is None and burst["arrivals"]["index_of_dispersion_per_tick"]
