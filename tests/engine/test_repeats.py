"""`tokbench run --repeats N`: every round is kept, strategies rotate, and the aggregates follow the rounds."""

import json
import statistics
import subprocess
import sys

import pytest

from tokbench.benchmark.run import rotation
from tokbench.results import load_results

STRATEGIES = ("static-padded", "tokenmaxxing", "continuous")
ROUNDS, REQUESTS = 3, 6


@pytest.fixture(scope="module")
def repeated(tmp_path_factory):
    out = tmp_path_factory.mktemp("repeats")
    cmd = [sys.executable, "-m", "tokbench", "run", "--workload", "tiny", "--num-requests", str(REQUESTS),
           "--repeats", str(ROUNDS), "--threads", "1", "--no-warmup", "--out", str(out)]
    for s in STRATEGIES:
        cmd += ["--strategy", s]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_rotation_starts_each_round_at_the_next_strategy():
    assert [rotation(list("abc"), r) for r in range(4)] == [list("abc"), list("bca"), list("cab"), list("abc")]


def test_every_round_is_kept_with_its_own_summary(repeated):
    out, _ = repeated
    res = load_results(out)
    for name in STRATEGIES:
        run = res.run(name)
        assert sorted(set(run.requests["round"])) == list(range(ROUNDS))
        assert len(run.rounds) == ROUNDS
        for r in range(ROUNDS):
            rows = run.of_round(r).requests
            assert len(rows) == REQUESTS
            # Each round's summary is that round's rows, nothing else.
            assert run.rounds[r]["output_throughput"] == pytest.approx(rows["output_len"].sum() / rows["finish_s"].max())
        assert run.summary["output_throughput"] == statistics.median(x["output_throughput"] for x in run.rounds)
        e = run.info["intervals"]["output_throughput"]
        assert e["n"] == ROUNDS and e["lo"] <= statistics.fmean(x["output_throughput"] for x in run.rounds) <= e["hi"]
    assert list(res.summary_frame().index) == list(STRATEGIES)  # still one row per run


def test_the_order_rotates_from_round_to_round(repeated):
    out, _ = repeated
    doc = json.loads((out / "results.json").read_text())
    positions = {r["name"]: [n["position"] for n in r["noise"]] for r in doc["runs"]}
    assert positions == {"static-padded": [0, 2, 1], "tokenmaxxing": [1, 0, 2], "continuous": [2, 1, 0]}
    for r in doc["runs"]:
        for n in r["noise"]:
            assert n["load_average_before"] is None or n["load_average_before"] >= 0
            assert n["other_cpu_cores"] is None or n["other_cpu_cores"] >= 0


def test_ratios_are_paired_per_round_and_the_table_shows_intervals(repeated):
    out, stdout = repeated
    doc = json.loads((out / "results.json").read_text())
    runs = {r["name"]: r for r in doc["runs"]}
    ratio = runs["tokenmaxxing"]["ratios"]["static-padded"]["output_throughput"]
    per_round = [a["output_throughput"] / b["output_throughput"]
                 for a, b in zip(runs["tokenmaxxing"]["rounds"], runs["static-padded"]["rounds"])]
    assert ratio["median"] == pytest.approx(statistics.median(per_round)) and ratio["n"] == ROUNDS
    assert f"median of {ROUNDS} rounds" in stdout and "±" in stdout
    assert "output throughput:" in stdout and "n = 3" in stdout  # a verdict line per pair, from the intervals
