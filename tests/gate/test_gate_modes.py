"""How the gate judges timing where it runs: stored values on the baseline's machine, A/B elsewhere,
and the machine-independent rules always."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from results.helpers import run_cli, synthetic_results
from tokbench.gate import mode as modes
from tokbench.gate import reference
from tokbench.gate.baseline import load_baseline
from tokbench.gate.evaluate import IMPROVED, PASS, REGRESSION, judge_ab
from tokbench.machine import fingerprint_differences, machine_fingerprint
from tokbench.results import load_results

TINY = {"model": {"spec": "tiny", "device": "cpu", "threads": 1, "max_model_len": 128},
        "workload": {"spec": "tiny", "num_requests": 4}, "strategies": ["static-padded", "tokenmaxxing"],
        "warmup": False}
SCHEDULE_RULES = [
    {"metric": "static-padded.padding_ratio", "absolute": 0.0},
    {"metric": "tokenmaxxing.num_steps", "better": "lower", "relative": 0.0},
    {"metric": "tokenmaxxing.tokens_identical", "better": "higher", "absolute": 0.0},
]
TIMING_RULE = {"metric": "tokenmaxxing.decode_throughput", "relative": 0.5}


def _baseline(path: Path, rules, **recorded) -> Path:
    doc = {"schema": "tokbench.gate-baseline", "schema_version": 2,
           "benchmark": {"run_config": TINY, "repeat": 1}, "rules": rules}
    if recorded:
        doc["recorded"] = recorded
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A baseline of the tiny benchmark recorded on this machine (values for every rule)."""
    from _pytest.capture import CaptureFixture  # noqa: F401  (capsys is function-scoped: call the CLI directly)
    from tokbench.cli.app import main

    path = _baseline(tmp_path_factory.mktemp("b") / "baseline.json", [*SCHEDULE_RULES, TIMING_RULE])
    old = sys.argv
    sys.argv = ["tokbench", "gate", "--baseline", str(path), "--out-dir", str(path.parent / "rounds"),
                "--update-baseline"]
    try:
        main()
    except SystemExit as exc:
        assert exc.code in (0, None)
    finally:
        sys.argv = old
    return json.loads(path.read_text())


def test_fingerprints_name_what_differs():
    here = machine_fingerprint()
    assert fingerprint_differences(here, dict(here)) == []
    other = {**here, "cpu_isa": ["avx2", "fma"], "isa_caps": {"ONEDNN_MAX_CPU_ISA": "AVX2"}}
    diffs = fingerprint_differences(here, other)
    assert any(d.startswith("cpu_isa:") for d in diffs) and any(d.startswith("isa_caps:") for d in diffs)


def test_another_machine_without_a_commit_judges_only_the_machine_independent_rules(tmp_path, capsys, recorded):
    rec = {**recorded["recorded"], "machine": {**recorded["recorded"]["machine"], "cpu_model": "Elsewhere 9000"}}
    rec.pop("git_commit", None)
    path = tmp_path / "b.json"
    path.write_text(json.dumps({**recorded, "recorded": rec}))
    code, out, err = run_cli(capsys, "gate", "--baseline", path, "--out-dir", tmp_path / "r", "--rounds", "1")
    assert code == 0, out + err
    assert "this machine is not the baseline's (cpu_model:" in out and "Elsewhere 9000" in out
    assert "not judged" in out and "PASS: 3 metrics within their thresholds (1 not judged on this machine)" in out


def test_against_recorded_without_that_commit_still_judges_the_schedule(tmp_path, capsys, recorded):
    rec = {**recorded["recorded"], "git_commit": "0" * 40}
    path = tmp_path / "b.json"
    path.write_text(json.dumps({**recorded, "recorded": rec}))
    code, out, err = run_cli(capsys, "gate", "--baseline", path, "--against", "recorded", "--out-dir",
                             tmp_path / "r", "--rounds", "1")
    assert code == 0, out + err
    assert "no A/B: --against 0000000000000000000000000000000000000000: no such commit" in out.replace("\n", " ")


def test_a_schedule_change_fails_everywhere(tmp_path, capsys, recorded):
    doc = json.loads(json.dumps(recorded))
    steps = next(r for r in doc["rules"] if r["metric"] == "tokenmaxxing.num_steps")
    steps["value"] -= 1  # as if the policy used to need one step fewer
    doc["recorded"]["machine"]["cpu_model"] = "Elsewhere 9000"
    doc["recorded"].pop("git_commit", None)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run_cli(capsys, "gate", "--baseline", path, "--out-dir", tmp_path / "r", "--rounds", "1")
    assert code == 1 and "REGRESSION tokenmaxxing.num_steps" in out


def _pairs(tmp_path, cand, ref):
    pairs = []
    for i, (c, r) in enumerate(zip(cand, ref)):
        pairs.append(tuple(load_results(synthetic_results(tmp_path / f"{side}{i}", {"a": {"decode_throughput": v}}))
                           for side, v in (("c", c), ("r", r))))
    return pairs


@pytest.mark.parametrize("cand, ref, verdict", [
    ([80, 81, 79, 80, 80], [100, 100, 100, 100, 100], REGRESSION),  # 20% slower in every round
    ([80, 130, 75, 120, 90], [100, 100, 100, 100, 100], PASS),  # median past the limit, interval not: no verdict
    ([99, 101, 100, 98, 102], [100, 100, 100, 100, 100], PASS),
    ([140, 141, 139, 140, 140], [100, 100, 100, 100, 100], IMPROVED),
    ([60, 60, 60, 60, 60], [75, 75, 75, 75, 75], PASS),  # 20% slower is within a 25% threshold
])
def test_ab_names_a_regression_only_when_the_interval_excludes_the_threshold(tmp_path, cand, ref, verdict):
    from tokbench.gate.baseline import _rule

    rule = _rule({"metric": "a.decode_throughput", "relative": 0.25 if ref[0] == 75 else 0.12}, "test")
    outcome = judge_ab(rule, _pairs(tmp_path, cand, ref))
    assert outcome.verdict == verdict
    assert outcome.suspect == (outcome.ratio.median < 1 - rule.ab_tolerance())


def test_a_git_ref_runs_from_an_export_with_its_mapped_packages():
    other = reference.from_git("HEAD")
    try:
        # The export wins over the editable install this test suite runs from.
        probe = subprocess.run([*other.tokbench_argv(), "--print-path"], capture_output=True, text=True)
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout.startswith(other.pythonpath)
        strategies = subprocess.run([*other.tokbench_argv(), "run", "--strategy", "tokenmaxxing", "--print-config"],
                                    capture_output=True, text=True)
        assert strategies.returncode == 0 and 'strategies = ["tokenmaxxing"]' in strategies.stdout
    finally:
        other.close()
    assert not Path(other.pythonpath).exists()


def test_ab_end_to_end_against_this_commit(tmp_path, capsys, recorded):
    """Both sides run in their own processes, in alternating order, and every rule is judged."""
    path = tmp_path / "b.json"
    path.write_text(json.dumps(recorded))
    out_dir = tmp_path / "ab"
    code, out, err = run_cli(capsys, "gate", "--baseline", path, "--against", "HEAD", "--rounds", "2",
                             "--no-confirm", "--out-dir", out_dir)
    assert code == 0, out + err
    assert "A/B against" in out and "PASS: 4 metrics" in out
    assert sorted(p.name for p in (out_dir / "round-2").iterdir()) == ["candidate", "reference"]
    log = (out_dir / "ab.log").read_text().splitlines()
    sides = ["candidate" if "tokbench.gate.worker" in line else "reference" for line in log if line.startswith("$ ")]
    assert sides == ["candidate", "reference", "reference", "candidate"]  # alternating


def test_committed_ci_baseline_runs_ab_in_ci():
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    assert "--against recorded" in ci
    baseline = load_baseline(Path(__file__).parents[2] / "benchmarks" / "baseline" / "ci-gate.json")
    assert baseline.machine and baseline.recorded.get("git_commit")
    assert modes.RECORDED == "recorded"
