"""Bar: every command `profile` suggests runs as printed.

For every shipped trace sample and every preset, the `try:` command is split with shlex and given
to the `run` command in-process. `run` parses its flags, loads the workload (refusing over-length
requests unless the command chose clip or drop), loads the model, sizes the KV budget and checks
that the strategy accepts its knobs and every request; the test stops it when the first forward
pass would start (Engine.serve). Two suggestions run end to end on the tiny model.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokbench.cli.app import _register_commands, app
from tokbench.workload import list_presets

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"
SAMPLES = sorted(p.name for p in TRACES.iterdir() if p.suffix in (".csv", ".jsonl"))


class ServeReached(Exception):
    """Raised where the first strategy would start computing: everything before it passed."""


@pytest.fixture(scope="module", autouse=True)
def commands():
    _register_commands()


def suggestion(*profile_args: str) -> list[str]:
    result = CliRunner().invoke(app, ["profile", *profile_args, "--json"])
    assert result.exit_code == 0, result.output
    command = json.loads(result.stdout)["recommendation"]["command"]
    words = shlex.split(command)
    assert words[:2] == ["tokbench", "run"], command
    return words[2:]


def run_until_serve(argv: list[str], tmp_path: Path, monkeypatch) -> None:
    from tokbench.engine.engine import Engine

    def serve(self, *args, **kwargs):
        raise ServeReached

    monkeypatch.setattr(Engine, "serve", serve)
    result = CliRunner().invoke(app, ["run", *argv, "--out", str(tmp_path / "out")])
    assert isinstance(result.exception, ServeReached), (argv, result.output, result.exception)


@pytest.mark.parametrize("name", SAMPLES)
def test_trace_suggestion_runs_as_printed(name, tmp_path, monkeypatch):
    run_until_serve(suggestion(str(TRACES / name)), tmp_path, monkeypatch)


@pytest.mark.parametrize("preset", list_presets())
def test_preset_suggestion_runs_as_printed(preset, tmp_path, monkeypatch):
    run_until_serve(suggestion(preset), tmp_path, monkeypatch)


def test_suggestion_keeps_every_option_and_the_target(tmp_path, monkeypatch):
    """Window, sample, scaling, seed, clipping, model, max-model-len and KV budget all survive."""
    argv = suggestion("chat", "--window", "10:200", "--sample", "300", "--length-scale", "3", "--seed", "4",
                      "--rate-scale", "2", "--max-model-len", "1024", "--kv-budget-tokens", "40000")
    for word in ("--window=10:200", "--sample=300", "--length-scale=3", "--seed=4", "--rate-scale=2",
                 "--over-length=clip", "--model=tiny", "--max-model-len=1024", "--kv-budget-tokens=40000"):
        assert word in argv, (word, argv)
    run_until_serve(argv, tmp_path, monkeypatch)
    assert "--over-length=drop" in suggestion("chat", "--length-scale", "3", "--over-length", "drop")


def test_without_over_length_the_run_refuses_what_profile_clipped(tmp_path, monkeypatch):
    """The guard the suggestion must pass: dropping --over-length from it makes `run` refuse."""
    argv = [w for w in suggestion(str(TRACES / "mooncake_conversation_sample.jsonl"), "--limit", "8")
            if not w.startswith("--over-length")]
    result = CliRunner().invoke(app, ["run", *argv, "--out", str(tmp_path / "out")])
    assert "choose --over-length clip or drop" in str(result.exception)


@pytest.mark.parametrize(
    "profile_args",
    [
        ["tiny"],
        # A clipped trace: 6 Mooncake requests scaled to ~100-1000 tokens, max_model_len 256.
        [str(TRACES / "mooncake_conversation_sample.jsonl"), "--limit", "6", "--length-scale", "0.05",
         "--rate-scale", "20", "--max-model-len", "256"],
    ],
    ids=["preset", "clipped-trace"],
)
def test_suggestion_runs_end_to_end(profile_args, tmp_path):
    argv = suggestion(*profile_args)
    result = CliRunner().invoke(app, ["run", *argv, "--no-warmup", "--threads", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    recorded = json.loads((tmp_path / "results.json").read_text())
    assert [r["name"] for r in recorded["runs"]] == [argv[argv.index("--strategy") + 1]]
    if "--max-model-len" in profile_args:
        assert recorded["workload"]["source"]["fit"]["rewritten"] > 0
        assert "clipped to max_model_len 256" in result.output
