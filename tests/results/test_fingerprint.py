"""Results carry a fingerprint of their benchmark (workload content, model, knobs, device kind);
compare and report refuse to judge across different ones unless --allow-mismatch, and then every
output says so. Incomplete results (an interrupted run) are named as such."""

from __future__ import annotations

import json

import pytest

from results.helpers import FIXTURE, copy_fixture, run_cli, synthetic_results
from tokbench.errors import UserError
from tokbench.results import load_results
from tokbench.results.fingerprint import benchmark_fingerprint, fingerprint, mismatches
from tokbench.results.judging import judgement_notes, mismatch_notes
from tokbench.results.writer import save_results
from tokbench.workload.types import Request, Workload

ENV = {"device": "cpu", "device_name": None}
SCHED = {"max_num_seqs": 128, "max_batch_tokens": 2048, "block_size": 16, "knobs": {}}


def _fp(requests=((0.0, 10, 5), (0.5, 20, 5)), scheduler=SCHED, slo=None, env=ENV, dtype="float32", hidden=64):
    wl = Workload("w", [Request(i, a, tuple(range(p)), o) for i, (a, p, o) in enumerate(requests)], {})
    return benchmark_fingerprint(workload=wl, model_config={"name": "m", "hidden_size": hidden, "extra": {"x": 1}},
                                 dtype=dtype, scheduler=scheduler, slo=slo or {}, environment=env)


def test_the_same_benchmark_has_one_fingerprint():
    assert mismatches(_fp(), _fp()) == []
    assert json.loads(json.dumps(_fp())) == _fp()  # plain JSON, stored as is


@pytest.mark.parametrize("change, expected", [
    (dict(requests=((0.0, 10, 5), (0.6, 20, 5))), ["workload.requests_sha256"]),  # one arrival moved
    (dict(requests=((0.0, 10, 6), (0.5, 20, 5))), ["workload.requests_sha256"]),  # one output length
    (dict(requests=((0.0, 10, 5),)), ["workload.num_requests", "workload.requests_sha256"]),
    (dict(hidden=128), ["model.shape_sha256"]),
    (dict(dtype="bfloat16"), ["model.dtype"]),
    (dict(scheduler={**SCHED, "max_num_seqs": 64}), ["knobs.max_num_seqs 128 vs 64"]),
    (dict(scheduler={**SCHED, "knobs": {"chunk_size": 64}}), ["knobs.knob.chunk_size unset vs 64"]),
    (dict(scheduler={**SCHED, "kv_budget_tokens": 4096}), ["knobs.kv_budget_tokens auto vs 4096"]),
    (dict(slo={"ttft_ms": 500.0}), ["knobs.slo.ttft_ms unset vs 500.0"]),
    (dict(env={"device": "cuda", "device_name": "NVIDIA H100"}), ["device cpu vs cuda (NVIDIA H100)"]),
])
def test_each_part_of_a_benchmark_is_told_apart(change, expected):
    found = mismatches(_fp(), _fp(**change))
    assert len(found) == len(expected) and all(f.startswith(e) for f, e in zip(found, expected)), found


def test_results_written_before_fingerprints_get_one_derived():
    doc = load_results(FIXTURE).doc
    assert "fingerprint" not in doc
    fp = fingerprint(doc)
    assert fp["workload"] == {"name": "tiny", "num_requests": 16, "requests_sha256": None}
    # On a CPU the default budget is a fixed function of the config: the number itself is compared.
    assert fp["device"] == "cpu" and fp["knobs"]["kv_budget_tokens"] == doc["config"]["scheduler"]["kv_budget_tokens"]
    # Unknown on one side is no difference: an old directory still compares with a new one of its benchmark.
    assert mismatches(fp, {**fp, "workload": {**fp["workload"], "requests_sha256": "ab" * 32}}) == []


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three tiny runs: the benchmark, the same with a knob set to its default, and another chunk size."""
    root = tmp_path_factory.mktemp("fp")
    base = ["run", "--workload", "tiny", "--num-requests", "3", "--max-model-len", "128", "--threads", "1",
            "--no-warmup", "-s", "tokenmaxxing"]
    capsys = _NoCapture()
    dirs = {}
    for name, extra in (("a", []), ("a-default-knob", ["--chunk-size", "512"]), ("b", ["--chunk-size", "64"])):
        code, _, err = run_cli(capsys, *base, *extra, "--out", root / name)
        assert code == 0, err
        dirs[name] = root / name
    return dirs


class _NoCapture:
    def readouterr(self):
        return type("Out", (), {"out": "", "err": ""})()


def test_a_run_stores_its_fingerprint_and_a_default_knob_changes_nothing(runs):
    a, same = load_results(runs["a"]).doc, load_results(runs["a-default-knob"]).doc
    assert a["fingerprint"]["workload"]["requests_sha256"] and a["fingerprint"]["device"] == "cpu"
    assert mismatches(fingerprint(a), fingerprint(same)) == []
    assert mismatches(fingerprint(a), fingerprint(load_results(runs["b"]).doc)) == ["knobs.knob.chunk_size unset vs 64"]


def test_compare_refuses_another_benchmark_in_one_line(runs, capsys):
    code, out, err = run_cli(capsys, "compare", runs["a"], runs["b"])
    assert code == 2 and out == ""
    assert err == (f"tokbench: error: {runs['a']} and {runs['b']} are results of different benchmarks "
                   "(knobs.knob.chunk_size unset vs 64); pass --allow-mismatch to judge them against each other "
                   "anyway\n")
    assert run_cli(capsys, "compare", runs["a"], runs["a-default-knob"])[0] == 0


def test_compare_allow_mismatch_says_so_in_every_output(runs, capsys, tmp_path):
    md = tmp_path / "cmp.md"
    code, out, err = run_cli(capsys, "compare", runs["a"], runs["b"], "--allow-mismatch", "--markdown", md)
    assert code == 0, err
    said = "are results of different benchmarks (knobs.knob.chunk_size unset vs 64): judged against each other anyway"
    assert said in out.replace("\n", " ") or said in err
    assert said in md.read_text()


def test_report_refuses_another_benchmark_and_allowed_says_so(runs, capsys, tmp_path):
    code, _, err = run_cli(capsys, "report", runs["a"], runs["b"], "--out-dir", tmp_path / "rep")
    assert code == 2 and "are results of different benchmarks" in err and not (tmp_path / "rep").exists()
    code, _, err = run_cli(capsys, "report", runs["a"], runs["b"], "--out-dir", tmp_path / "rep", "--allow-mismatch")
    assert code == 0, err
    said = "judged against each other anyway (--allow-mismatch)"
    assert said in err
    assert said in (tmp_path / "rep" / "report.md").read_text()
    assert said in (tmp_path / "rep" / "report.html").read_text()


def test_incomplete_results_are_named_by_report(tmp_path, capsys):
    res = load_results(copy_fixture(tmp_path))
    save_results(res, tmp_path / "partial", complete=False)
    assert not load_results(tmp_path / "partial").complete
    code, _, err = run_cli(capsys, "report", tmp_path / "partial", "--out-dir", tmp_path / "rep", "-f", "md")
    assert code == 0, err
    note = f"{tmp_path / 'partial'}: incomplete results (the run was interrupted, or is still going): only"
    assert note in err and note in (tmp_path / "rep" / "report.md").read_text()


def test_the_gate_can_use_the_same_check(tmp_path):
    a = synthetic_results(tmp_path / "a", {"x": {}})
    assert judgement_notes([("a", load_results(a)), ("a again", load_results(a))], allow_mismatch=False) == []
    other = dict(load_results(a).doc, fingerprint={**fingerprint(load_results(a).doc), "device": "cuda (H100)"})
    with pytest.raises(UserError, match=r"^a and b are results of different benchmarks \(device cpu vs cuda "):
        mismatch_notes([("a", load_results(a).doc), ("b", other)], allow_mismatch=False)


def test_a_prediction_compares_with_its_measurement_but_not_with_another_benchmark():
    doc = load_results(FIXTURE).doc
    measured = fingerprint(doc)
    predicted = {**measured, "device": "simulated:AMD EPYC"}
    assert mismatches(measured, predicted) == []
    other = {**predicted, "knobs": {**predicted["knobs"], "max_num_seqs": 2}}
    assert mismatches(measured, other) == [f"knobs.max_num_seqs {measured['knobs']['max_num_seqs']} vs 2"]
    assert mismatches({**measured, "device": "cuda (H100)"}, measured) == ["device cuda (H100) vs cpu"]
