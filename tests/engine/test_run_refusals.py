"""Runs that cannot work are refused in one line before the model loads, naming what would work:
a KV budget or model length that does not fit in memory, a KV budget too small for a request
(with the block rounding it really needs), a model directory whose config.json cannot describe
its weights. Each case once failed with a traceback, a kill by the kernel, or a misleading line."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import torch

import tokbench.benchmark.kv_sizing as kv_sizing
import tokbench.benchmark.model_cache as model_cache
from tokbench.cli.app import main
from tokbench.engine.memory_budget import GiB
from tokbench.model.config import ModelConfig
from tokbench.model.export import export_hf
from tokbench.model.llama import LlamaModel

# Wide KV (8 KiB a token in fp32), few parameters: a config claiming a long context asks for a lot of KV.
SMALL = ModelConfig(name="small", architecture="llama", vocab_size=512, hidden_size=128, intermediate_size=128,
                    num_layers=2, num_heads=8, num_kv_heads=8, head_dim=64, max_model_len=256)


def _run(monkeypatch, capsys, *args) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["tokbench", "run", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr().err


def _refused(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tokbench: error: ") and "Traceback" not in err, err
    return lines[0].removeprefix("tokbench: error: ")


@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    return export_hf(LlamaModel(SMALL), tmp_path_factory.mktemp("hf") / "small")


@pytest.fixture
def edited(hf_dir, tmp_path):
    """A copy of the model directory with config.json changed by `edit(config) -> new config`."""
    def make(edit) -> Path:
        copy = Path(shutil.copytree(hf_dir, tmp_path / "model"))
        config = json.loads((copy / "config.json").read_text())
        (copy / "config.json").write_text(json.dumps(edit(config)))
        return copy
    return make


@pytest.fixture
def no_model_load(monkeypatch):
    monkeypatch.setattr(model_cache, "load_model", lambda *a, **k: pytest.fail("the model was loaded"))


COMMON = ["--workload", "tiny", "--num-requests", "4", "--threads", "1", "--no-warmup"]


def test_a_context_claimed_too_long_for_memory_is_refused_with_a_budget_that_fits(edited, monkeypatch, capsys,
                                                                                 tmp_path, no_model_load):
    model = edited(lambda c: {**c, "max_position_embeddings": 1_000_000})
    monkeypatch.setattr(kv_sizing, "host_available_bytes", lambda: 16 * GiB)
    args = [*COMMON, "--model", model, "--out", tmp_path / "o", "-s", "tokenmaxxing"]
    line = _refused(*_run(monkeypatch, capsys, *args))
    assert line.startswith("the default KV budget (16 x max_model_len 1000000 = 16000000 tokens): needs 122.07 GiB "
                           "of host memory for KV, and only 16.00 GiB is available"), line
    fits = int(re.search(r"pass --kv-budget-tokens (\d+), or a smaller --max-model-len$", line).group(1))
    assert fits > 0 and fits % 256 == 0
    # The budget it names does fit (and one more 256-slot unit would not).
    monkeypatch.setattr(model_cache, "load_model", lambda *a, **k: pytest.fail("stop here: it fitted"))
    with pytest.raises(pytest.fail.Exception, match="stop here: it fitted"):
        _run(monkeypatch, capsys, *args, "--kv-budget-tokens", fits)
    capsys.readouterr()
    line = _refused(*_run(monkeypatch, capsys, *args, "--kv-budget-tokens", fits + 256))
    assert f"at most {fits} tokens of KV fit" in line


def test_a_kv_budget_beyond_any_machine_is_refused(monkeypatch, capsys, tmp_path, no_model_load):
    line = _refused(*_run(monkeypatch, capsys, *COMMON, "--kv-budget-tokens", 10**12, "--out", tmp_path / "o"))
    assert line.startswith("--kv-budget-tokens 1000000000000 (scheduler.kv_budget_tokens): needs ")
    assert re.search(r"at most \d+ tokens of KV fit: pass --kv-budget-tokens \d+$", line), line


def _lengths_trace(tmp_path: Path) -> Path:
    path = tmp_path / "lengths.csv"  # request 1 needs 300 + 76 = 376 slots: 24 blocks of 16 = 384
    path.write_text("num_prefill_tokens,num_decode_tokens\n100,10\n300,76\n200,20\n")
    return path


def test_a_kv_budget_too_small_names_the_smallest_that_fits_with_block_rounding(monkeypatch, capsys, tmp_path,
                                                                                no_model_load):
    args = ["--workload", _lengths_trace(tmp_path), "--out", tmp_path / "o", "-s", "tokenmaxxing",
            "-s", "static-padded"]
    line = _refused(*_run(monkeypatch, capsys, *args, "--kv-budget-tokens", 376))
    assert line == ("--kv-budget-tokens 376 (scheduler.kv_budget_tokens): too small for this workload (tokenmaxxing: "
                    "request 1 needs 376 KV slots = 24 blocks of 16; the KV budget holds 23); the smallest KV budget "
                    "that holds every request of every strategy is 384")
    # ...and 384 is accepted (the run gets as far as loading the model).
    monkeypatch.setattr(model_cache, "load_model", lambda *a, **k: pytest.fail("stop here: it fitted"))
    with pytest.raises(pytest.fail.Exception, match="stop here"):
        _run(monkeypatch, capsys, *args, "--kv-budget-tokens", 384)


@pytest.mark.parametrize("strategy", ["tokenmaxxing", "static-padded", "ffd-packing", "continuous"])
def test_a_kv_budget_of_one_slot_is_one_line_for_every_strategy(monkeypatch, capsys, tmp_path, strategy,
                                                                no_model_load):
    line = _refused(*_run(monkeypatch, capsys, *COMMON, "-s", strategy, "--kv-budget-tokens", 1,
                          "--out", tmp_path / "o"))
    assert line.startswith(f"--kv-budget-tokens 1 (scheduler.kv_budget_tokens): too small for this workload "
                           f"({strategy}: ")
    assert re.search(r"the smallest KV budget that holds every request of every strategy is \d+$", line)


def test_continuous_says_what_to_change(monkeypatch, capsys, tmp_path, no_model_load):
    line = _refused(*_run(monkeypatch, capsys, *COMMON, "-s", "continuous", "--kv-budget-tokens", 100,
                          "--out", tmp_path / "o"))
    assert ("(continuous: a KV budget of 100 slots holds no continuous-batching slot: each reserves max_model_len "
            "(2048 tokens); give --kv-budget-tokens 2048 or more, or a smaller --max-model-len)") in line
    assert line.endswith("is 2048")


@pytest.mark.parametrize("edit, message", [
    (lambda c: [c], "config.json: holds a JSON list, not the object of a model's configuration"),
    (lambda c: {**c, "num_attention_heads": 0}, "config.json: num_attention_heads is 0; it must be a positive whole"),
    (lambda c: {**c, "hidden_size": "wide"}, "config.json: hidden_size is \"wide\"; it must be a positive whole"),
    (lambda c: {**c, "num_key_value_heads": 3}, "num_attention_heads 8 is not a multiple of num_key_value_heads 3"),
])
def test_a_config_that_describes_no_model_is_one_line(edited, monkeypatch, capsys, tmp_path, edit, message,
                                                       no_model_load):
    line = _refused(*_run(monkeypatch, capsys, *COMMON, "--model", edited(edit), "--out", tmp_path / "o"))
    assert message in line


def test_a_config_that_does_not_match_its_weights_is_one_line(edited, monkeypatch, capsys, tmp_path):
    model = edited(lambda c: {**c, "hidden_size": 256})  # the weights were saved with 128
    line = _refused(*_run(monkeypatch, capsys, *COMMON, "--model", model, "--max-model-len", 64,
                          "--out", tmp_path / "o"))
    assert line.startswith(f"{model}: weight shapes (embed_tokens.weight [512, 128]) do not match config.json, "
                           "whose sizes make [512, 256]")
    assert not (tmp_path / "o").exists()
