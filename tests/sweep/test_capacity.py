"""The capacity search finds a known capacity: a runner slowed in a known way behind a D/D/1 queue.

The sweep itself is the `capacity_sweep` fixture (tests/sweep/conftest.py).

PacedRunner makes every step take S = 40 ms and computes nothing. With max_num_seqs = 1 and one
step per request (8-token prompt, 1 output token), requests arriving at a constant rate λ are
served one per S. Over capacity (λS > 1) request k waits behind k others: its TTFT is
(k + 1)S - k/λ. Under a TTFT SLO of 2S it passes while k ≤ λS / (λS - 1). With 20 requests and a
90% attainment, 18 must pass (k = 0..17), so λS ≤ 17/16: λ* = 17 / (16 · 0.04 s) = 26.5625 req/s,
i.e. ×2.65625 the workload's 10 req/s. (Below λ = 1/S nothing queues and every TTFT is about S.)
"""

import pytest

from results.helpers import run_cli
from sweep.helpers import KNOWN, STEP_S, TOLERANCE, manifest, write_spec
from sweep.paced_runner import paced
from tokbench.sweep import LocalExecutor, run_sweep

TIMING_SLACK = 0.01  # a late wake-up of a few ms moves the boundary by well under 1% (k = 17 amortizes it)


def test_the_search_brackets_the_known_capacity_within_its_tolerance(capacity_sweep):
    _, root, outcome = capacity_sweep
    (answer,) = outcome.capacity
    lo, hi = answer["bracket"]
    assert answer["status"] == "found"
    assert hi <= lo * (1 + TOLERANCE) * (1 + 1e-9)
    assert lo <= KNOWN * (1 + TIMING_SLACK) and hi >= KNOWN * (1 - TIMING_SLACK), (lo, hi, KNOWN)
    assert answer["capacity"] == lo
    assert answer["offered_rps"] == pytest.approx(10 * lo, rel=1e-3)
    # Every probe is an ordinary complete point, recorded with its attainment and verdict.
    probes = answer["probes"]
    assert [p["rate_scale"] for p in probes[:3]] == [1.0, 2.0, 4.0]  # bracketing doubles from start = 1
    records = {p["id"]: p for p in manifest(root)["points"]}
    for p in probes:
        assert records[p["point"]]["status"] == "complete"
        assert records[p["point"]]["values"]["workload.rate_scale"] == p["rate_scale"]
        assert p["passed"] == (p["attainment"] >= 0.9)
    # Attainment follows the queue arithmetic at every probe clear of the boundary.
    for p in probes:
        lam_s = 10 * p["rate_scale"] * STEP_S
        if abs(lam_s - 17 / 16) > 0.02:
            expected = 1.0 if lam_s <= 1 else min(20, int(lam_s / (lam_s - 1)) + 1) / 20
            assert p["attainment"] == pytest.approx(expected, abs=0.05 + 1e-9), p
    assert answer["non_monotone"] == []


def test_probes_are_resumable_points(capacity_sweep):
    spec, root, first = capacity_sweep
    again = run_sweep(spec, root, LocalExecutor(wrap_runner=paced(STEP_S)))
    assert again.ran == 0 and again.reused == len(first.records)
    assert again.capacity[0]["bracket"] == first.capacity[0]["bracket"]


def test_capacity_needs_an_online_workload(tmp_path, capsys):
    spec = write_spec(tmp_path, '[base]\nworkload.spec = "tiny"\nstrategies = ["continuous"]\n')
    code, _, err = run_cli(capsys, "sweep", spec, "--capacity", "--slo", "ttft_ms=100", "--out", tmp_path / "o")
    assert code == 2
    assert "workload 'tiny' is offline" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # refused before its first manifest: nothing left behind
