"""`tokbench export`: a preset written as a Hugging Face directory that tokbench reads back to the
very same weights and that transformers runs to the very same greedy tokens."""

import sys

import pytest
import torch

from tokbench.cli.app import main
from tokbench.model import load_model

from tests.peers.conftest import SMALL


def _cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["tokbench", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr().err


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for name in sa:
        assert torch.equal(sa[name], sb[name]), name


def test_exported_directory_loads_back_to_identical_weights(small_loaded, small_dir):
    back = load_model(str(small_dir), dtype=torch.float32, device=torch.device("cpu"))
    _same_weights(small_loaded.model, back.model)
    for field in ("architecture", "vocab_size", "hidden_size", "intermediate_size", "num_layers", "num_heads",
                  "num_kv_heads", "head_dim", "max_model_len", "rms_norm_eps", "rope_theta", "tie_word_embeddings"):
        assert getattr(back.cfg, field) == getattr(SMALL, field), field


def test_tiny_preset_export_via_cli_round_trips(monkeypatch, capsys, tmp_path):
    code, err = _cli(monkeypatch, capsys, "export", "tiny", str(tmp_path / "tiny"), "--seed", "7")
    assert code == 0, err
    exported = load_model(str(tmp_path / "tiny"), dtype=torch.float32, device=torch.device("cpu"))
    preset = load_model("tiny", dtype=torch.float32, device=torch.device("cpu"), seed=7)
    _same_weights(preset.model, exported.model)


def test_export_refuses_a_non_empty_directory_and_bad_presets(monkeypatch, capsys, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    code, err = _cli(monkeypatch, capsys, "export", "tiny", str(target))
    assert code == 2 and err.count("\n") == 1 and "not empty" in err and "--force" in err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]  # untouched, nothing half-written
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind

    code, err = _cli(monkeypatch, capsys, "export", "gpt-9", str(tmp_path / "x"))
    assert code == 2 and "'gpt-9': not a preset" in err and not (tmp_path / "x").exists()


def test_transformers_runs_the_export_to_the_reference_tokens(small_dir, requests_and_reference):
    transformers = pytest.importorskip("transformers")
    requests, reference = requests_and_reference
    model = transformers.AutoModelForCausalLM.from_pretrained(str(small_dir), dtype=torch.float32).eval()
    for r in requests:
        ids = torch.tensor([r.prompt_token_ids])
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=r.max_tokens, do_sample=False,
                             eos_token_id=None, pad_token_id=0)
        assert out[0, r.prompt_len:].tolist() == reference[r.request_id]


def test_exported_tokenizer_maps_ids_one_to_one(small_dir):
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(str(small_dir))
    assert len(tok) == SMALL.vocab_size
    assert tok("t5 t300 t511")["input_ids"] == [5, 300, 511]
    assert tok.decode([5, 300]) == "t5 t300"
    assert tok.eos_token_id == 2 and tok.convert_ids_to_tokens(2) == "</s>"

