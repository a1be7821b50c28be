"""Calibration: the fit recovers a known cost model, and a fitted model round-trips through its file."""

from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import mixed_requests
from tests.simulate.conftest import KNOBS, STRATEGIES, SYNTHETIC_SECONDS, TINY_TARGET
from tokbench.benchmark.strategy_registry import resolve
from tokbench.results import load_results
from tokbench.simulate.calibrate import calibrate, fit_seconds, run_rounds, step_cycles
from tokbench.simulate.cost_file import load_cost_model, save_cost_model
from tokbench.simulate.features import FEATURES, feature_matrix
from tokbench.simulate.linear import LinearStepModel
from tokbench.simulate.measured import compare, predict_measured
from tokbench.simulate.run import simulate

STORED = "tests/results/data/results-v1"  # a real four-strategy run of the tiny preset
TRUTH = SYNTHETIC_SECONDS


def _online(requests, gap_s):
    return [replace(r, arrival_s=i * gap_s) for i, r in enumerate(requests)]


def test_calibration_recovers_a_synthetic_cost_model():
    # Online arrivals far apart leave the loop idle between requests: idle time is not step time.
    requests = mixed_requests(30, seed=2, max_prompt=100, max_output=20)[:20] + \
        _online(mixed_requests(10, seed=3, max_prompt=100, max_output=20), 0.5)
    requests = [replace(r, request_id=i) for i, r in enumerate(requests)]
    runs = simulate([resolve(s) for s in STRATEGIES], KNOBS, requests, LinearStepModel(TINY_TARGET, TRUTH))
    arrivals = np.array([r.arrival_s for r in requests])
    features = np.concatenate([feature_matrix(r.tables["steps"]) for r in runs])
    cycles = np.concatenate([step_cycles(r.tables["steps"], arrivals) for r in runs])
    np.testing.assert_allclose(cycles, np.concatenate([r.tables["steps"]["duration_s"] for r in runs]), rtol=1e-9)
    fitted = fit_seconds(features, cycles)
    for name, value in TRUTH.items():
        assert fitted[name] == pytest.approx(value, rel=1e-6), name


def test_calibration_reads_each_round_of_a_repeated_run_on_its_own_clock():
    # With --repeats a run's tables hold every round, each with its own clock and step numbers from 0:
    # cycles taken across rounds would be meaningless (negative, or spanning a whole round).
    import pandas as pd

    rounds = [mixed_requests(12, seed=4, max_prompt=100, max_output=20),
              _online(mixed_requests(8, seed=6, max_prompt=100, max_output=20), 0.4)]
    model = LinearStepModel(TINY_TARGET, TRUTH)
    runs = []
    for strategy in ("static-padded", "tokenmaxxing"):  # padded and packed steps: every feature in play
        tables = [simulate([resolve(strategy)], KNOBS, requests, model)[0].tables for requests in rounds]
        steps = pd.concat([t["steps"].assign(round=i) for i, t in enumerate(tables)], ignore_index=True)
        requests = pd.concat([t["requests"].assign(round=i) for i, t in enumerate(tables)], ignore_index=True)
        measured = run_rounds(f"dir:{strategy}", steps, requests)
        assert [r.label for r in measured] == [f"dir:{strategy}#0", f"dir:{strategy}#1"]
        for run, t in zip(measured, tables):
            np.testing.assert_allclose(run.cycles, t["steps"]["duration_s"], rtol=1e-9)
        runs += measured
    fitted = fit_seconds(np.concatenate([feature_matrix(r.steps) for r in runs]),
                         np.concatenate([r.cycles for r in runs]))
    for name, value in TRUTH.items():
        assert fitted[name] == pytest.approx(value, rel=1e-6), name


def test_step_cycles_leave_out_idle_waiting():
    import pandas as pd

    # Step 0 runs 0-1 s; the loop then idles until an arrival at 5 s, plans for 0.1 s, runs until 6.2 s.
    steps = pd.DataFrame({"start_s": [0.0, 5.1], "schedule_s": [0.0, 0.1], "end_s": [1.0, 6.2]})
    assert step_cycles(steps, np.array([0.0, 5.0])).tolist() == pytest.approx([1.0, 1.2])


def test_calibrating_stored_results_reports_its_error_and_round_trips(tmp_path):
    model = calibrate([STORED])
    errors = model.fit["errors"]
    assert set(errors["runs"]) == {f"{STORED}:{s}" for s in STRATEGIES}
    for per_run in [*errors["runs"].values(), errors["overall"]]:
        assert per_run["steps"] > 0 and 0 <= per_run["step_error_median"] <= per_run["step_error_p90"]
    assert model.target.model.name == "tiny" and model.target.dtype == "fp32"
    assert all(v >= 0 for v in model.seconds.values()) and model.seconds["per_step"] > 0
    assert list(model.fit["ranges"]) == list(FEATURES)  # what later simulations are checked against
    assert all(low <= high for low, high in model.fit["ranges"].values())
    path = save_cost_model(model, tmp_path / "cost.json")
    assert load_cost_model(path) == model and load_cost_model(path).fit["ranges"] == model.fit["ranges"]


def test_predicting_a_measured_run_serves_its_steps_and_compares_every_metric(measured_dir):
    measured = load_results(measured_dir)
    predicted = predict_measured(measured, calibrate([measured_dir]))
    assert predicted.run_names == measured.run_names and predicted.doc["simulation"]["against"] == str(measured_dir)
    for name in measured.run_names:  # the measured run's config, KV budget included: the same schedule
        got, want = predicted.run(name).steps, measured.run(name).steps
        for column in ("kind", "batch_size", "real_tokens", "padded_tokens", "kv_reserved_tokens"):
            assert got[column].tolist() == want[column].tolist()
    table = compare(predicted, measured)
    assert set(table.run) == set(measured.run_names) and table.predicted.notna().all()
    row = table[(table.run == "tokenmaxxing") & (table.metric == "output_throughput")].iloc[0]
    assert row.relative_error == pytest.approx(row.predicted / row.measured - 1)
    assert table.measured_spread.isna().all()  # one measured round: no spread to judge an error by


def test_the_comparison_gives_the_measured_rounds_spread(tmp_path):
    from tests.results.helpers import synthetic_results

    measured = load_results(synthetic_results(tmp_path / "m", {"a": [{"median_ttft_ms": 18.0},
                                                                      {"median_ttft_ms": 22.0},
                                                                      {"median_ttft_ms": 20.0}]}))
    predicted = load_results(synthetic_results(tmp_path / "p", {"a": {"median_ttft_ms": 17.0}}))
    row = compare(predicted, measured, ("median_ttft_ms",)).iloc[0]
    assert (row.predicted, row.measured) == (17.0, 20.0)
    assert row.relative_error == pytest.approx(-0.15) and row.measured_spread == pytest.approx(0.10)
