"""`tokbench calibrate` and `tokbench simulate`: predict a measured run, write it in the run schema
(report, compare and gate read it unchanged), and refuse bad input in one line with nothing written."""

import json
import sys

import pytest

from tokbench.cli.app import main
from tokbench.results import load_results


def _tokbench(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["tokbench", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


@pytest.fixture(scope="module")
def cost_file(measured_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("cost") / "cost.json"
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(sys, "argv", ["tokbench", "calibrate", str(measured_dir), "--out", str(path)])
        with pytest.raises(SystemExit) as exc:
            main()
    finally:
        mp.undo()
    assert exc.value.code == 0 and path.is_file()
    return path


def test_simulate_against_a_measured_run_then_report_and_compare(monkeypatch, capsys, measured_dir, cost_file,
                                                                 tmp_path):
    out = tmp_path / "sim"
    code, stdout, err = _tokbench(monkeypatch, capsys, "simulate", "--cost-model", cost_file, "--against",
                                  measured_dir, "--out", out)
    assert code == 0, err
    assert "predicted / measured" in stdout and "output tok/s" in stdout
    sim, real = load_results(out), load_results(measured_dir)
    assert sim.doc["simulation"]["cost_model"]["kind"] == "linear" and all(r["simulated"] for r in sim.runs)
    assert sim.summary_frame()["num_steps"].tolist() == real.summary_frame()["num_steps"].tolist()

    code, _, err = _tokbench(monkeypatch, capsys, "report", out, measured_dir, "--out-dir", tmp_path / "rep",
                             "--format", "md")
    assert code == 0, err
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "## Predicted against measured" in text and "tokbench (simulated)" in text and "measured rounds ±" in text
    code, stdout, err = _tokbench(monkeypatch, capsys, "compare", measured_dir, out)
    assert code == 0, err


def test_roofline_what_if_with_tensor_parallel_replicas(monkeypatch, capsys, tmp_path):
    out = tmp_path / "what-if"
    code, _, err = _tokbench(monkeypatch, capsys, "simulate", "--roofline", "H100-SXM", "--model", "llama-70b",
                             "--tp", "4", "--workload", "high-variance", "--num-requests", "48", "--replicas", "2",
                             "--router", "least-outstanding-tokens", "--strategy", "tokenmaxxing", "--out", out,
                             "--save-cost-model", tmp_path / "roofline.json")
    assert code == 0, err
    sim = load_results(out)
    assert sim.doc["simulation"]["replicas"] == 2 and sim.doc["config"]["model"]["config"]["num_layers"] == 80
    assert sim.doc["simulation"]["cost_model"]["target"]["tensor_parallel"] == 4
    assert json.loads((tmp_path / "roofline.json").read_text())["kind"] == "roofline"
    assert sim.run("tokenmaxxing").summary["completed"] == 48


def test_a_hugging_face_config_json_alone_is_a_model(monkeypatch, capsys, tmp_path):
    # Llama-3.1-70B's published config fields, no weights anywhere
    (tmp_path / "llama70b.json").write_text(json.dumps({
        "model_type": "llama", "vocab_size": 128256, "hidden_size": 8192, "intermediate_size": 28672,
        "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8,
        "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-5}))
    code, _, err = _tokbench(monkeypatch, capsys, "simulate", "--roofline", "H200", "--model",
                             tmp_path / "llama70b.json", "--tp", "2", "--max-model-len", "8192", "--workload",
                             "high-variance", "--num-requests", "16", "--strategy", "continuous", "--out", tmp_path / "o")
    assert code == 0, err
    model = load_results(tmp_path / "o").doc["config"]["model"]["config"]
    assert (model["num_layers"], model["hidden_size"], model["max_model_len"]) == (80, 8192, 8192)


BAD = {
    "no cost model": ([], "needs a cost model: --cost-model FILE or --roofline GPU"),
    "two cost models": (["--roofline", "H100-SXM", "--cost-model", "x.json"], "one of them"),
    "unknown gpu": (["--roofline", "B300"], "GPU 'B300' is not in the hardware table"),
    "a dtype runs do not have": (["--roofline", "H100-SXM", "--dtype", "fp8"], "--dtype 'fp8'"),
    "tp with a file": (["--cost-model", "x.json", "--tp", "2"], "--tp and --roofline-param build a roofline"),
    "bad roofline param": (["--roofline", "L40S", "--roofline-param", "flops_efficiency"], "expected NAME=NUMBER"),
    "roofline param out of range": (["--roofline", "L40S", "--roofline-param", "flops_efficiency=2"],
                                    "flops_efficiency = 2.0 must be in (0, 1]"),
    "unknown router": (["--roofline", "L40S", "--replicas", "2", "--router", "random"], "router 'random'"),
    "missing cost file": (["--cost-model", "nowhere.json"], "no such cost-model file"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_and_writes_nothing(monkeypatch, capsys, tmp_path, case):
    args, message = BAD[case]
    code, _, err = _tokbench(monkeypatch, capsys, "simulate", "--workload", "tiny", "--out", tmp_path / "o", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o" / "results.json").exists()


def test_a_cost_model_for_another_model_is_refused(monkeypatch, capsys, cost_file, tmp_path):
    code, _, err = _tokbench(monkeypatch, capsys, "simulate", "--cost-model", cost_file, "--model", "llama-8b",
                             "--workload", "tiny", "--out", tmp_path / "o")
    assert code == 2 and "is not the model the cost model describes (tiny:" in err
    assert not (tmp_path / "o").exists()
