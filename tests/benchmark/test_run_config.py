"""A run as a value: RunConfig validation, its files, flags over files, and replaying a results directory."""

import ast
import json
import tomllib
from pathlib import Path

import pytest

from results.helpers import run_cli
from tokbench.benchmark.config import RunConfig, SchedulerSettings, WorkloadSettings, replace_options
from tokbench.benchmark.config_errors import ConfigError
from tokbench.benchmark.config_files import config_toml, load_config, write_config
from tokbench.benchmark.config_flags import config_to_flags
from tokbench.cli.run_args import config_from_args

PACKAGE = Path(__file__).parents[2] / "tokbench"


def _rich_config() -> RunConfig:
    config = RunConfig(scheduler=SchedulerSettings(max_num_seqs=8, kv_budget_tokens=4096,
                                                   knobs={"chunk_size": 64, "order": "sjf", "watermark": 0.05}),
                       strategies=("tokenmaxxing", "continuous"), seed=3, warmup=False, out="r")
    config = config.with_values({"slo.ttft_ms": 500.0, "model.threads": 1, "workload.limit": 7})
    return replace_options(config, window=(1.5, float("inf")), columns={"prompt": "in tokens"}, delimiter="\t",
                           over_length="clip")


def test_toml_and_json_round_trip(tmp_path):
    config = _rich_config()
    assert RunConfig.from_dict(tomllib.loads(config_toml(config))) == config
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert load_config(write_config(config, tmp_path / "run.toml")) == config
    assert load_config(write_config(config, tmp_path / "run.json")) == config


def test_flags_are_the_config_and_back():
    config = _rich_config()
    assert config_from_args(config_to_flags(config, with_out=True), "test") == config
    assert config_from_args([], "test") == RunConfig()  # the flags' defaults are the config's


def test_every_bad_field_is_one_line_naming_the_flag_and_the_key():
    with pytest.raises(ConfigError) as exc:
        RunConfig.from_dict({"model": {"threads": 0, "gpu_memory_utilization": 5, "dtype": "fp8"},
                             "scheduler": {"max_num_seqs": 0, "block_size": "big"}, "slo": {"ttft_ms": float("nan")},
                             "workload": {"time_scale": -1}, "repeats": 0})
    lines = str(exc.value).splitlines()
    expected = ["--threads 0 (model.threads)", "--gpu-memory-utilization 5.0 (model.gpu_memory_utilization)",
                "--dtype 'fp8' (model.dtype)", "--max-num-seqs 0 (scheduler.max_num_seqs)",
                "--block-size 'big' (scheduler.block_size)", "--slo ttft_ms=nan (slo.ttft_ms)",
                "(workload.time_scale)", "--repeats 0 (repeats)"]
    for fragment in expected:
        assert sum(fragment in line for line in lines) == 1, (fragment, lines)
    assert len(lines) == len(expected)


def test_an_unknown_key_suggests_the_known_one():
    with pytest.raises(ConfigError, match=r"unknown key 'scheduler.max_num_seq' \(did you mean 'max_num_seqs'\?\)"):
        RunConfig.from_dict({"scheduler": {"max_num_seq": 4}})
    with pytest.raises(ConfigError, match="unknown key 'strategy'"):
        RunConfig.from_dict({"strategy": ["tokenmaxxing"]})


def test_configs_are_immutable():
    with pytest.raises(AttributeError):
        RunConfig().seed = 4  # type: ignore[misc]


def test_flags_on_the_command_line_override_the_file(tmp_path, capsys):
    path = write_config(RunConfig(workload=WorkloadSettings("chat"), seed=5,
                                  scheduler=SchedulerSettings(max_num_seqs=16)), tmp_path / "run.toml")
    code, out, err = run_cli(capsys, "run", "--config", path, "--max-num-seqs", "8", "--print-config")
    assert code == 0, err
    printed = tomllib.loads(out)
    assert printed["scheduler"]["max_num_seqs"] == 8 and printed["seed"] == 5 and printed["workload"]["spec"] == "chat"


def test_a_results_directory_runs_again_with_the_same_tokens_and_steps(tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    code, _, err = run_cli(capsys, "run", "--workload", "tiny", "--num-requests", "5", "--no-warmup",
                           "-s", "tokenmaxxing", "-s", "static-padded", "--chunk-size", "32", "--save-outputs",
                           "--seed", "4", "--out", first)
    assert code == 0, err
    code, _, err = run_cli(capsys, "run", "--config", first / "results.json", "--out", second)
    assert code == 0, err
    a, b = (json.loads((d / "results.json").read_text()) for d in (first, second))
    assert {k: v for k, v in a["run_config"].items() if k != "out"} == \
        {k: v for k, v in b["run_config"].items() if k != "out"} | {"scheduler": a["run_config"]["scheduler"]}
    assert [r["summary"]["num_steps"] for r in a["runs"]] == [r["summary"]["num_steps"] for r in b["runs"]]
    outputs = [(d / "outputs.jsonl").read_text() for d in (first, second)]
    assert outputs[0] == outputs[1]  # same prompts (the workload's tokens) and the same generated tokens


def test_run_benchmark_is_a_library_call_that_prints_nothing(capsys):
    from tokbench import RunConfig as Exported
    from tokbench import run_benchmark

    config = Exported(workload=WorkloadSettings("tiny", replace(WorkloadSettings().options, num_requests=3)),
                      strategies=("tokenmaxxing",), warmup=False)
    events = []
    results = run_benchmark(config, on_progress=events.append)
    frame = results.summary_frame()
    assert list(frame.index) == ["tokenmaxxing"] and frame.loc["tokenmaxxing", "completed"] == 3
    assert results.path is None and results.outputs["tokenmaxxing"]
    assert {e.kind for e in events} >= {"start", "done"}
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def replace(options, **changes):
    from dataclasses import replace as _replace

    return _replace(options, **changes)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_the_library_never_imports_the_command_line():
    offenders = [str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py")
                 if "cli" not in p.relative_to(PACKAGE).parts[:1] and p.name != "__main__.py"
                 and any(n == "tokbench.cli" or n.startswith("tokbench.cli.") for n in _imports(p))]
    assert offenders == []


def test_no_namespace_bags_or_monkeypatching_in_the_package():
    text = {p: p.read_text() for p in PACKAGE.rglob("*.py")}
    assert [str(p) for p, t in text.items() if "SimpleNamespace" in t or "monkeypatch" in t] == []
