"""Results load back into pandas, and anything truncated, edited or foreign is refused with one clear line."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from results.helpers import FIXTURE, copy_fixture, run_cli, synthetic_results
from tokbench.engine import host_memory
from tokbench.errors import UserError
from tokbench.results import load_results
from tokbench.results import writer as writer_module
from tokbench.results.schema import LATENCY_METRICS, RESULTS_SCHEMA

STRATEGIES = ["continuous", "ffd-packing", "static-padded", "tokenmaxxing"]


def test_results_written_by_schema_v1_load_into_dataframes():
    res = load_results(FIXTURE)
    frame = res.summary_frame()
    assert sorted(frame.index) == STRATEGIES
    assert {"output_throughput", "total_token_throughput", "request_throughput", *LATENCY_METRICS} <= set(frame.columns)
    env = res.doc["environment"]
    for key in ("device_name", "device_memory_bytes", "torch", "cuda", "driver", "attention_backend",
                "tokbench_version", "git_commit", "cpu_model", "cpu_count"):
        assert key in env
    run = res.run("static-padded")
    assert len(run.requests) == res.doc["workload"]["num_requests"] == 16
    # The per-request table gives back the summary's token counts.
    assert run.requests["output_len"].sum() == run.summary["total_output_tokens"]
    assert set(res.steps["run"]) == set(STRATEGIES)
    assert (run.steps["padded_tokens"] > 0).any() and (res.run("tokenmaxxing").steps["padded_tokens"] == 0).all()


def test_tokbench_run_writes_results_that_load_back(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "run", "--workload", "tiny", "--num-requests", "4", "--max-model-len", "128",
                           "--threads", "1", "--no-warmup", "-s", "static-padded", "-s", "tokenmaxxing",
                           "--out", out)
    assert code == 0, err
    res = load_results(out / "results.json")
    assert res.run_names == ["static-padded", "tokenmaxxing"]
    assert res.doc["config"]["scheduler"]["max_model_len"] == 128
    assert res.doc["environment"]["torch_threads"] == 1
    assert res.doc["environment"]["host_huge_pages"] == host_memory.huge_pages_status()
    assert all(len(res.run(n).requests) == 4 for n in res.run_names)
    assert not list(out.glob(".*.tmp"))


def test_csv_fallback_round_trips_the_tables(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "table_format", lambda: "csv")
    src = load_results(FIXTURE)
    out = tmp_path / "csv"
    config, env = src.doc["config"], src.doc["environment"]
    tables = {t: [getattr(src, t)] for t in ("requests", "steps", "tokens")}
    from tokbench.workload.types import Workload

    writer_module.write_results(out, config=config, environment=env, runs=src.runs, tables=tables,
                                workload=Workload("tiny", [], {}))
    assert sorted(p.name for p in out.iterdir()) == ["requests.csv", "results.json", "steps.csv", "tokens.csv"]
    back = load_results(out)
    pd.testing.assert_frame_equal(back.steps, src.steps, check_dtype=False)
    pd.testing.assert_frame_equal(back.summary_frame(), src.summary_frame())


def test_csv_results_with_an_empty_table_load(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "table_format", lambda: "csv")
    res = load_results(synthetic_results(tmp_path / "csv", {"peer": {"output_throughput": 5.0}}))
    assert res.doc["tables"]["format"] == "csv"
    assert len(res.steps) == 0 and "duration_s" in res.steps.columns
    assert res.summary_frame().loc["peer", "output_throughput"] == 5.0


def _edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "results.json").write_text((d / "results.json").read_text()[:3000]), "truncated"),
    (lambda d: _edit_json(d / "results.json", lambda doc: doc["runs"][0]["summary"].update(output_throughput=9e9)),
     "edited after tokbench wrote it"),
    (lambda d: _edit_json(d / "results.json", lambda doc: doc["environment"].update(device_name="H100")),
     "edited after tokbench wrote it"),
    (lambda d: (d / "steps.parquet").write_bytes((d / "steps.parquet").read_bytes()[:5000]),
     "steps.parquet: its content does not match"),
    (lambda d: (d / "tokens.parquet").unlink(), "tokens.parquet: missing"),
    (lambda d: _edit_json(d / "results.json", lambda doc: doc["runs"][1]["summary"].pop("p99_ttft_ms")),
     "runs[1].summary.p99_ttft_ms is missing"),
    (lambda d: _edit_json(d / "results.json", lambda doc: doc.update(schema_version=99)), "schema_version 99"),
    (lambda d: _edit_json(d / "results.json", lambda doc: doc.update(schema="something.else")),
     "not a tokbench results file"),
])
def test_damaged_results_are_refused_with_a_clear_message(tmp_path, damage, message):
    d = copy_fixture(tmp_path)
    damage(d)
    with pytest.raises(UserError, match=re.escape(message)):
        load_results(d)


@pytest.mark.parametrize("content", ["some notes, not results\n", "", "\x00\x01binary"])
def test_a_file_that_is_no_results_file_is_called_that(tmp_path, capsys, content):
    """Not 'truncated or edited by hand': that is said only of a file that was a results file."""
    path = tmp_path / "some.txt"
    path.write_text(content)
    code, _, err = run_cli(capsys, "report", path, "--out-dir", tmp_path / "rep")
    assert code == 2
    assert err.startswith(f"tokbench: error: {path}: not a tokbench results file") and "by hand" not in err, err


def test_a_table_from_another_run_is_refused(tmp_path):
    d = copy_fixture(tmp_path)
    other = synthetic_results(tmp_path / "other", {"static-padded": {}})
    (d / "requests.parquet").write_bytes((other.parent / "requests.parquet").read_bytes())
    with pytest.raises(UserError, match="requests.parquet: its content does not match"):
        load_results(d)


def test_cli_reports_damage_as_one_line_and_exit_2(tmp_path, capsys):
    d = copy_fixture(tmp_path)
    (d / "results.json").write_text((d / "results.json").read_text()[:-200])
    code, out, err = run_cli(capsys, "report", str(d), "--out-dir", str(tmp_path / "reports"))
    assert code == 2
    assert err.startswith("tokbench: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "reports").exists()  # nothing written from refused input


def test_a_rewrite_that_fails_keeps_the_previous_results_whole(tmp_path, monkeypatch):
    """New results are written beside the old and swapped in whole: a failure leaves the old ones loading."""
    out = tmp_path / "r"
    synthetic_results(out, {"a": {}})

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_module, "table_bytes", boom)
    with pytest.raises(OSError):
        synthetic_results(out, {"b": {}})
    assert load_results(out).run_names == ["a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no half-written sibling left


def test_docs_show_the_schema_the_loader_enforces():
    text = (Path(__file__).parents[2] / "docs" / "results-format.md").read_text()
    block = re.search(r"<!-- schema:start -->\s*```json\n(.*?)```\s*<!-- schema:end -->", text, re.S)
    assert block, "docs/results-format.md lacks the schema block (regenerate: python -m tokbench.results.schema)"
    assert json.loads(block.group(1)) == RESULTS_SCHEMA


def test_the_recorder_still_writes_every_column_version_1_readers_need():
    from tokbench.engine.recorder import REQUEST_COLUMNS, STEP_COLUMNS, TOKEN_COLUMNS
    from tokbench.results.table_columns import REQUIRED_COLUMNS

    written = {"requests": REQUEST_COLUMNS, "steps": STEP_COLUMNS, "tokens": TOKEN_COLUMNS}
    for table, columns in REQUIRED_COLUMNS.items():
        assert set(columns) - {"run"} <= set(written[table]), table
