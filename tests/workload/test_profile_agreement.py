"""Bar: on real traces (and the Azure/BurstGPT format samples) every statistic `tokbench profile
--json` reports agrees within 0.5% with an independent computation from the raw file
(independent_profile.py: plain Python, written from the docs, sharing no code with tokbench).

The comparison walks the whole JSON: a statistic added to the profile without an independent
counterpart fails here, so "every statistic" stays every statistic."""

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from . import independent_profile as independent

TRACES = Path(__file__).resolve().parents[3] / "shared" / "traces"
pytestmark = pytest.mark.skipif(not TRACES.is_dir(), reason="../shared/traces not available")
TOLERANCE = 0.005
NOT_STATISTICS = ("source", "recommendation")  # echoes of the input, and the derived advice

CASES = {
    "mooncake_conversation_trace.jsonl": independent.read_mooncake,
    "sharegpt_lengths.csv": independent.read_lengths,
    "azure2023_format_sample.csv": independent.read_azure,
    "azure2024_format_sample.csv": independent.read_azure,
    "burstgpt_format_sample.csv": independent.read_burstgpt,
}


def cli_profile(path: Path) -> dict:
    import tokbench.cli.profile_cmd  # noqa: F401  (registers the command)
    from tokbench.cli.app import app

    result = CliRunner().invoke(app, ["profile", str(path), "--json"])
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
    if theirs is None:
        assert ours is None, (where, ours)
        return 0
    if isinstance(theirs, int) and not isinstance(theirs, bool):
        assert ours == theirs, (where, ours, theirs)  # counts are exact
        return 1
    # The timeline is printed rounded to 4 decimals.
    absolute = 1e-4 if ".timeline." in where else 1e-9
    assert math.isclose(ours, theirs, rel_tol=TOLERANCE, abs_tol=absolute), (where, ours, theirs)
    return 1


@pytest.fixture(scope="module", params=sorted(CASES))
def both(request):
    path = TRACES / request.param
    ours = cli_profile(path)
    return request.param, ours, independent.profile(*CASES[request.param](path))


def test_every_statistic_agrees_with_the_raw_file(both):
    name, ours, theirs = both
    statistics = {k: v for k, v in ours.items() if k not in NOT_STATISTICS}
    compared = assert_agrees(statistics, theirs)
    assert compared > 60, (name, compared)  # the walk really reached the numbers


def test_recommendation_follows_the_documented_rule(both):
    _, ours, theirs = both
    waste = theirs["padding"]["32"]
    expected = {
        (True, True): "tokenmaxxing",
        (True, False): "continuous",
        (False, True): "ffd-packing",
        (False, False): "static-padded",
    }[(waste["decode_waste"] >= 0.25, waste["prefill_waste"] >= 0.25)]
    rec = ours["recommendation"]
    assert rec["strategy"] == expected
    assert rec["flags"].startswith(f"--strategy {expected}") and rec["command"].startswith("tokbench run --workload ")
    assert any(f"{round(100 * waste['decode_waste'])}%" in reason for reason in rec["reasons"])


def test_profile_covers_the_quirks_it_claims():
    """The samples do exercise what the comparison above relies on."""
    azure24 = cli_profile(TRACES / "azure2024_format_sample.csv")
    assert azure24["source"]["arrivals_raised_to_previous_row"] > 0
    burst = cli_profile(TRACES / "burstgpt_format_sample.csv")
    assert burst["source"]["failed_requests_excluded"] > 0
    assert burst["arrivals"]["timestamp_resolution_s"] == 1.0  # whole-second clock detected
    mooncake = cli_profile(TRACES / "mooncake_conversation_trace.jsonl")
    assert 2.9 < mooncake["arrivals"]["timestamp_resolution_s"] < 3.1  # ~3 s rounding detected
    assert mooncake["prefix_reuse"]["reused_token_fraction"] > 0.2
