"""`tokbench run` on bad input: one clear line on stderr, exit code 2, and no results written."""

import json
import sys

import pytest

from tokbench.cli.app import main


def _run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["tokbench", "run", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    captured = capsys.readouterr()
    return exc.value.code, captured.err


BAD = {
    "unknown strategy": (["--strategy", "round-robin"], "--strategy 'round-robin': unknown"),
    "strategy file missing": (["--strategy", "nowhere/mine.py:Mine"], "file nowhere/mine.py not found"),
    "prompt over max length": (["--max-model-len", "24"], "need more than max_model_len 24"),
    "knob out of range": (["--max-num-seqs", "0"], "--max-num-seqs 0 (scheduler.max_num_seqs): must be at least 1"),
    "watermark out of range": (["--watermark", "1.5"], "--knob watermark=1.5 (scheduler.knobs.watermark): must be below 1"),
    "bad order": (["--order", "random"], "--knob order='random' (scheduler.knobs.order): choose one of fcfs, sjf"),
    "a knob no strategy reads": (["--strategy", "continuous", "--chunk-size", "8"],
                                 "no strategy of this run reads it (it belongs to tokenmaxxing"),
    "model length above the model's": (["--max-model-len", "4096"], "above the model's own maximum of 2048"),
    "no slot for continuous": (["--kv-budget-tokens", "100"], "holds no continuous-batching slot"),
    "request bigger than the KV budget": (["--strategy", "tokenmaxxing", "--kv-budget-tokens", "16"],
                                          "--kv-budget-tokens 16 (scheduler.kv_budget_tokens): too small for this "
                                          "workload"),
    "bad dtype": (["--dtype", "fp8"], "--dtype 'fp8'"),
    "bad device": (["--device", "tpu"], "--device 'tpu'"),
    "bad slo": (["--slo", "ttft=3"], "--slo 'ttft=3'"),
    "unknown model": (["--model", "gpt-9"], "--model 'gpt-9'"),
    "unknown workload": (["--workload", "no-such-preset"], "no-such-preset"),
    "bad threads": (["--threads", "0"], "--threads 0"),
    "slo not a number": (["--slo", "ttft_ms=nan"],
                         "--slo ttft_ms=nan (slo.ttft_ms): must be a positive, finite number of milliseconds"),
    "slo infinite": (["--slo", "tpot_ms=inf"],
                     "--slo tpot_ms=inf (slo.tpot_ms): must be a positive, finite number of milliseconds"),
    "gpu share above 1": (["--gpu-memory-utilization", "5"],
                          "--gpu-memory-utilization 5.0 (model.gpu_memory_utilization): must be in (0, 1]"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_and_writes_nothing(monkeypatch, capsys, tmp_path, case):
    args, message = BAD[case]
    out = tmp_path / "results"
    code, err = _run(monkeypatch, capsys, "--workload", "tiny", "--out", str(out), "--no-warmup", *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tokbench: error:"), err
    assert message in lines[0]
    assert "Traceback" not in err
    assert not out.exists()


def test_a_failed_run_keeps_the_previous_results(monkeypatch, capsys, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    previous = {"schema": "tokbench.results", "marker": "previous run"}
    (out / "results.json").write_text(json.dumps(previous))
    code, _ = _run(monkeypatch, capsys, "--workload", "tiny", "--out", str(out), "--max-num-seqs", "-3")
    assert code == 2
    assert json.loads((out / "results.json").read_text()) == previous
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]


def test_same_seed_same_workload_same_tokens(monkeypatch, capsys, tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        code, err = _run(monkeypatch, capsys, "--workload", "tiny", "--strategy", "tokenmaxxing", "--seed", "7",
                         "--out", str(out), "--no-warmup", "--save-outputs")
        assert code == 0, err
        outputs.append([json.loads(line) for line in (out / "outputs.jsonl").read_text().splitlines()])
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 16 and all(len(r["output_token_ids"]) >= 1 for r in outputs[0])
