"""`tokbench gate`: rules, medians over repeats, exit codes, CI outputs, deliberate baseline updates."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from results.helpers import FIXTURE, rewrite_results, run_cli, synthetic_results
from tokbench.errors import UserError
from tokbench.gate import inject
from tokbench.gate.baseline import load_baseline

RATIO = "fast.output_throughput / slow.output_throughput"
REPO = Path(__file__).parents[2]


def write_baseline(path: Path, rules: list[dict], **extra) -> Path:
    path.write_text(json.dumps({"schema": "tokbench.gate-baseline", "schema_version": 1, "rules": rules, **extra}))
    return path


def candidate(tmp_path: Path, name: str, fast: float, slow: float = 100.0, padding: float = 0.3) -> Path:
    return synthetic_results(tmp_path / name, {
        "fast": {"output_throughput": fast, "p99_ttft_ms": 50.0},
        "slow": {"output_throughput": slow, "padding_ratio": padding},
    }).parent


@pytest.fixture
def baseline(tmp_path):
    return write_baseline(tmp_path / "baseline.json", [
        {"metric": RATIO, "relative": 0.1, "value": 2.0},
        {"metric": "slow.padding_ratio", "absolute": 0.01, "value": 0.3},
        {"metric": "fast.p99_ttft_ms", "relative": 0.2, "value": 50.0},
    ])


def test_candidate_like_the_baseline_passes(tmp_path, baseline, capsys):
    code, out, _ = run_cli(capsys, "gate", candidate(tmp_path, "c", fast=195.0), "--baseline", baseline)
    assert code == 0
    assert "PASS: 3 metrics within their thresholds" in out


def test_regression_exits_1_and_names_the_metric(tmp_path, baseline, capsys):
    md, junit = tmp_path / "gate.md", tmp_path / "junit.xml"
    code, out, _ = run_cli(capsys, "gate", candidate(tmp_path, "c", fast=170.0), "--baseline", baseline,
                           "--markdown", md, "--junit", junit)
    assert code == 1
    assert f"REGRESSION {RATIO}: 1.7 against baseline 2 (-15.0%); the rule wants at least 1.8" in out
    summary = md.read_text()
    assert summary.startswith("## ❌ tokbench gate — FAIL: 1 of 3 metrics regressed")
    assert f"| FAIL | {RATIO} | stored | 2 | 1.7 | -15.0% | ≥ 1.8 |" in summary
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == [RATIO]


@pytest.mark.parametrize("padding, ttft_code", [(0.309, 0), (0.311, 1)])
def test_absolute_threshold_lower_is_better(tmp_path, baseline, capsys, padding, ttft_code):
    code, out, _ = run_cli(capsys, "gate", candidate(tmp_path, "c", fast=200.0, padding=padding),
                           "--baseline", baseline)
    assert code == ttft_code
    assert ("REGRESSION slow.padding_ratio" in out) == bool(ttft_code)


def test_median_over_repeats_ignores_one_noisy_repeat(tmp_path, baseline, capsys):
    repeats = [candidate(tmp_path, f"r{i}", fast=f) for i, f in enumerate((199.0, 120.0, 201.0))]
    code, out, _ = run_cli(capsys, "gate", *repeats, "--baseline", baseline)
    assert code == 0
    assert "1.2 … 2.01" in out  # the spread is shown even when the median passes
    repeats.append(candidate(tmp_path, "r3", fast=120.0))
    repeats.append(candidate(tmp_path, "r4", fast=130.0))
    assert run_cli(capsys, "gate", *repeats, "--baseline", baseline)[0] == 1


def test_improvement_beyond_the_threshold_passes_and_suggests_a_new_baseline(tmp_path, baseline, capsys):
    md = tmp_path / "gate.md"
    code, out, _ = run_cli(capsys, "gate", candidate(tmp_path, "c", fast=300.0), "--baseline", baseline,
                           "--markdown", md)
    assert code == 0 and "pass (improved)" in out
    assert "consider `tokbench gate --update-baseline`" in md.read_text()


def test_update_baseline_records_medians_and_keeps_the_rules(tmp_path, baseline, capsys):
    repeats = [candidate(tmp_path, f"r{i}", fast=f) for i, f in enumerate((150.0, 160.0, 155.0))]
    assert run_cli(capsys, "gate", *repeats, "--baseline", baseline)[0] == 1
    code, out, _ = run_cli(capsys, "gate", *repeats, "--baseline", baseline, "--update-baseline")
    assert code == 0 and "baseline updated" in out
    doc = json.loads(baseline.read_text())
    rule = doc["rules"][0]
    assert rule == {"metric": RATIO, "relative": 0.1, "value": 1.55, "observed": [1.5, 1.6, 1.55]}
    assert doc["recorded"]["rounds"] == 3 and doc["schema_version"] == 2
    assert run_cli(capsys, "gate", *repeats, "--baseline", baseline)[0] == 0


def test_undefined_candidate_value_is_a_regression(tmp_path, baseline, capsys):
    code, out, _ = run_cli(capsys, "gate", candidate(tmp_path, "c", fast=200.0, slow=0.0), "--baseline", baseline)
    assert code == 1 and f"{RATIO}: no value in the candidate" in out


@pytest.mark.parametrize("rules, extra, message", [
    ([{"metric": RATIO, "relative": 0.1, "absolute": 1, "value": 2}], {}, "exactly one of \"relative\""),
    ([{"metric": RATIO, "value": 2}], {}, "exactly one of \"relative\""),
    ([{"metric": RATIO, "relative": 10, "value": 2}], {}, "thresholds are fractions"),
    ([{"metric": "fast.output_throughput / slow.p99_ttft_ms", "relative": 0.1, "value": 2}], {},
     "say \"better\""),
    ([{"metric": "output_throughput", "relative": 0.1, "value": 2}], {}, "should be RUN.METRIC"),
    ([{"metric": RATIO, "relative": 0.1}], {}, "no baseline value for " + RATIO),
    ([{"metric": "fast.mean_batch_size", "better": "sideways", "relative": 0.1, "value": 2}], {},
     "rules[0].better is 'sideways'"),
    ([{"metric": "gone.output_throughput", "relative": 0.1, "value": 2}], {}, "has no run 'gone'"),
    ([{"metric": "fast.speed", "better": "higher", "relative": 0.1, "value": 2}], {},
     "run 'fast' has no summary metric 'speed'"),
])
def test_bad_baselines_are_usage_errors(tmp_path, capsys, rules, extra, message):
    path = write_baseline(tmp_path / "b.json", rules, **extra)
    code, _, err = run_cli(capsys, "gate", candidate(tmp_path, "c", fast=200.0), "--baseline", path)
    assert code == 2 and message in err and err.count("\n") == 1


def test_usage_errors_exit_2(tmp_path, baseline, capsys):
    c = candidate(tmp_path, "c", fast=200.0)
    assert "--rounds runs the baseline's benchmark" in run_cli(capsys, "gate", c, "--baseline", baseline,
                                                               "--repeat", "3")[2]
    code, _, err = run_cli(capsys, "gate", "--baseline", baseline)
    assert code == 2 and "has no benchmark (benchmark.run_config)" in err
    assert run_cli(capsys, "gate", c, "--baseline", tmp_path / "nope.json")[0] == 2
    assert run_cli(capsys, "gate", c, "--baseline", baseline, "--bogus-flag")[0] == 2


def test_gate_runs_the_recorded_benchmark_and_gates_deterministic_metrics(tmp_path, capsys):
    """End to end: rounds of a real (tiny) benchmark, a deliberate baseline, then a passing gate."""
    run_args = ["--workload", "tiny", "--num-requests", "6", "--max-model-len", "128", "--threads", "1",
                "--no-warmup", "-s", "static-padded", "-s", "tokenmaxxing"]
    path = write_baseline(tmp_path / "b.json", [
        {"metric": "static-padded.padding_ratio", "absolute": 0.0},
        {"metric": "tokenmaxxing.num_steps", "better": "lower", "relative": 0.0},
        {"metric": "tokenmaxxing.tokens_identical", "better": "higher", "absolute": 0.0},
        {"metric": "static-padded.total_output_tokens / tokenmaxxing.total_output_tokens", "better": "higher",
         "absolute": 0.0},
    ], benchmark={"run_args": run_args, "repeat": 2})
    out_dir = tmp_path / "rounds"
    code, out, err = run_cli(capsys, "gate", "--baseline", path, "--out-dir", out_dir, "--update-baseline")
    assert code == 0, err
    assert "version-1 baseline" in out
    assert sorted(p.name for p in out_dir.iterdir()) == ["round-1", "round-2"]
    doc = json.loads(path.read_text())
    values = {r["metric"]: r["value"] for r in doc["rules"]}
    assert 0 < values["static-padded.padding_ratio"] < 1
    assert values["tokenmaxxing.tokens_identical"] == 1.0  # round 1 is checked against the reference
    assert values["static-padded.total_output_tokens / tokenmaxxing.total_output_tokens"] == 1.0
    # Stored as a run config now, with the machine it was recorded on.
    assert "run_args" not in doc["benchmark"] and doc["benchmark"]["run_config"]["workload"]["num_requests"] == 6
    assert doc["recorded"]["machine"]["cpu_usable"] >= 1
    code, out, err = run_cli(capsys, "gate", "--baseline", path, "--out-dir", out_dir, "--repeat", "1")
    assert code == 0, out + err
    assert "1 rounds of the benchmark" in out and "this machine matches the baseline's" in out
    assert "| exact " in out.replace("│", "|") or "exact" in out


def test_a_regression_in_the_rounds_is_confirmed_with_as_many_again(tmp_path, capsys):
    run_args = ["--workload", "tiny", "--num-requests", "3", "--max-model-len", "64", "--threads", "1",
                "--no-warmup", "-s", "tokenmaxxing"]
    # A latency rule judged against a stored value (no machine recorded) that no run can meet.
    path = write_baseline(tmp_path / "b.json", [{"metric": "tokenmaxxing.median_e2el_ms", "relative": 0.0,
                                                 "value": 1e-6}], benchmark={"run_args": run_args})
    out_dir = tmp_path / "rounds"
    code, out, _ = run_cli(capsys, "gate", "--baseline", path, "--out-dir", out_dir, "--repeat", "2")
    assert code == 1
    assert "tokenmaxxing.median_e2el_ms past the threshold after 2 rounds; judged on 2 more" in out
    assert "4 rounds of the benchmark" in out
    assert sorted(p.name for p in out_dir.iterdir()) == [f"round-{i}" for i in range(1, 5)]
    code, out, _ = run_cli(capsys, "gate", "--baseline", path, "--out-dir", tmp_path / "once", "--repeat", "1",
                           "--no-confirm")
    assert code == 1 and "judged on" not in out


def _slow_steps(first: int, last: int):
    def change(steps):
        rows = (steps["run"] == "tokenmaxxing") & steps["step"].between(first, last)
        steps.loc[rows, "duration_s"] *= 5.0
        return steps
    return change


DEC_PRE = "tokenmaxxing.decode_throughput / tokenmaxxing.prefill_throughput"


@pytest.fixture(scope="module")
def fresh_results(tmp_path_factory):
    """Results written by this tokbench (the metric code re-summarizes them per step)."""
    out = tmp_path_factory.mktemp("fresh") / "run"
    args = ["run", "--workload", "tiny", "--max-model-len", "128", "--threads", "1", "--no-warmup",
            "-s", "tokenmaxxing", "--out", str(out)]
    from typer.testing import CliRunner

    import tokbench.cli.run_cmd  # noqa: F401
    from tokbench.cli.app import app

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def test_per_step_medians_drop_bursts_that_a_median_of_runs_keeps(tmp_path, capsys, fresh_results):
    """Two of three repeats hit by a burst, at different steps: the per-step median is the clean value."""
    from tokbench.results import load_results

    clean = load_results(fresh_results).run("tokenmaxxing").summary
    value = clean["decode_throughput"] / clean["prefill_throughput"]
    repeats = [fresh_results, rewrite_results(fresh_results, tmp_path / "r2", _slow_steps(2, 6)),
               rewrite_results(fresh_results, tmp_path / "r3", _slow_steps(8, 12))]
    for over_repeats, code in (("per_step_median", 0), ("median", 1)):
        path = write_baseline(tmp_path / f"{over_repeats}.json", [
            {"metric": DEC_PRE, "better": "higher", "relative": 0.05, "value": value, "over_repeats": over_repeats}])
        got, out, err = run_cli(capsys, "gate", *repeats, "--baseline", path)
        assert got == code, out + err
    assert run_cli(capsys, "gate", fresh_results, "--baseline", tmp_path / "per_step_median.json")[1].count(
        "+0.0%") == 1


def test_per_step_medians_need_the_same_schedule_and_step_metrics(tmp_path, capsys, fresh_results):
    other = rewrite_results(fresh_results, tmp_path / "other", lambda s: s[s["step"] != 3])
    path = write_baseline(tmp_path / "b.json", [
        {"metric": DEC_PRE, "better": "higher", "relative": 0.05, "value": 1, "over_repeats": "per_step_median"}])
    code, _, err = run_cli(capsys, "gate", fresh_results, other, "--baseline", path)
    assert code == 2 and "scheduled different steps" in err
    path = write_baseline(tmp_path / "b.json", [
        {"metric": "tokenmaxxing.output_throughput", "relative": 0.05, "value": 1, "over_repeats": "per_step_median"}])
    code, _, err = run_cli(capsys, "gate", FIXTURE, "--baseline", path)
    assert code == 2 and "output_throughput is not computed from steps alone" in err


def test_a_bad_flag_in_the_recorded_benchmark_is_a_usage_error(tmp_path, capsys):
    path = write_baseline(tmp_path / "b.json", [{"metric": "a.padding_ratio", "absolute": 0.0, "value": 0}],
                          benchmark={"run_args": ["--workload", "no-such-preset"]})
    code, _, err = run_cli(capsys, "gate", "--baseline", path, "--out-dir", tmp_path / "o")
    assert code == 2 and "no-such-preset" in err and err.count("\n") == 1
    path = write_baseline(tmp_path / "b.json", [{"metric": "a.padding_ratio", "absolute": 0.0, "value": 0}],
                          benchmark={"run_args": ["--out", "x"]})
    assert "must not set --out" in run_cli(capsys, "gate", "--baseline", path)[2]
    path = write_baseline(tmp_path / "b.json", [{"metric": "a.padding_ratio", "absolute": 0.0, "value": 0}],
                          benchmark={"run_args": ["--no-such-flag"]})
    code, _, err = run_cli(capsys, "gate", "--baseline", path)
    assert code == 2 and "benchmark.run_args" in err and "--no-such-flag" in err


def test_committed_ci_baseline_is_valid_and_complete():
    from tokbench.benchmark.config import RunConfig

    baseline = load_baseline(REPO / "benchmarks" / "baseline" / "ci-gate.json")
    assert baseline.run_config and baseline.repeat >= 3
    assert RunConfig.from_dict(baseline.run_config).strategies == ("static-padded", "tokenmaxxing")
    assert all(rule.value is not None for rule in baseline.rules)
    # Both strategies' decode paths are timed, and the tokens and the schedule are held exactly.
    names = {r.name for r in baseline.rules}
    assert {"static-padded.decode_throughput", "tokenmaxxing.decode_throughput",
            "static-padded.tokens_identical", "tokenmaxxing.tokens_identical", "tokenmaxxing.num_steps"} <= names


class _Plan:
    def __init__(self, kind):
        self.kind = kind


class _Runner:
    graphs = "the wrapped runner's"

    def execute(self, plan, kv):
        return plan.kind


def test_injected_slowdown_sleeps_in_decode_steps_only(monkeypatch):
    slept = []
    clock = iter([0.0, 1.0, 1.4])  # the decode step does 0.4 s of work
    monkeypatch.setattr(inject.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(inject.time, "sleep", slept.append)
    slowed = inject.decode_slowdown(0.2)(_Runner())
    assert slowed.execute(_Plan("prefill"), None) == "prefill"
    assert slowed.execute(_Plan("decode"), None) == "decode"
    assert slept == [pytest.approx(0.1)]  # 0.1 of 0.5 s = 20% of the slowed step
    assert slowed.graphs == "the wrapped runner's"
    assert inject.decode_slowdown(0.0) is None


@pytest.mark.parametrize("value, ok", [("", True), ("0.2", True), ("1", False), ("-0.1", False), ("lots", False)])
def test_injection_setting_is_checked(monkeypatch, value, ok):
    monkeypatch.setenv(inject.ENV, value)
    if ok:
        assert inject.injected_fraction() == (float(value) if value else 0.0)
    else:
        with pytest.raises(UserError, match=inject.ENV):
            inject.injected_fraction()
