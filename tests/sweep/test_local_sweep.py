"""The local executor: every point its own results directory, a manifest, and resuming what is missing."""

import json
import shutil

import pytest

from results.helpers import run_cli
from sweep.helpers import GRID, manifest, statuses, write_spec
from tokbench.results import load_results
from tokbench.sweep import LocalExecutor, load_spec, run_sweep
from tokbench.sweep.keys import point_id
from tokbench.benchmark.config import RunConfig


def test_every_point_is_an_ordinary_results_directory_listed_in_the_manifest(grid_sweep):
    spec_path, root, outcome = grid_sweep
    doc = manifest(root)
    assert doc["schema"] == "tokbench.sweep" and doc["spec_hash"] == load_spec(spec_path).hash
    assert doc["executor"] == "local" and doc["capacity"] is None
    assert doc["created"] <= min(p["started"] for p in doc["points"]) <= doc["updated"]
    assert len(doc["points"]) == 8 and outcome.ran == 8 and outcome.reused == 0
    seen_values = set()
    for p in doc["points"]:
        assert p["status"] == "complete" and p["attempts"] == 1 and p["error"] is None and p["failures"] == []
        assert p["host"] and p["started"] <= p["finished"] and p["duration_s"] > 0
        results = load_results(root / p["dir"])  # digests checked
        config = RunConfig.from_dict(results.doc["run_config"])
        assert point_id(config) == p["id"] and p["dir"] == f"points/{p['id']}"
        assert config.strategies == (p["values"]["strategies"],)
        assert config.scheduler.max_num_seqs == p["values"]["scheduler.max_num_seqs"]
        assert config.workload.options.rate_scale == p["values"]["workload.rate_scale"]
        assert results.run_names == [p["values"]["strategies"]]
        assert (root / p["dir"] / "outputs.jsonl").is_file()  # save_outputs = true in [base]
        figures = p["figures"][0]
        assert figures["output_throughput"] == results.runs[0]["summary"]["output_throughput"]
        seen_values.add(json.dumps(p["values"], sort_keys=True))
    assert len(seen_values) == 8


def test_a_second_run_runs_nothing(grid_sweep, tmp_path, capsys):
    spec_path, root, _ = grid_sweep
    copy = shutil.copytree(root, tmp_path / "copy")
    code, out, err = run_cli(capsys, "sweep", spec_path, "--out", copy)
    assert code == 0, err
    assert "8 of 8 points already complete" in err
    assert "(0 run now, 8 before)" in err


def test_a_changed_spec_is_listed_and_refused_unless_forced(grid_sweep, tmp_path, capsys):
    spec_path, root, _ = grid_sweep
    copy = shutil.copytree(root, tmp_path / "copy")
    changed = write_spec(tmp_path, GRID.replace("[2, 8]", "[2, 4]"), "changed.toml")
    code, _, err = run_cli(capsys, "sweep", changed, "--out", copy)
    assert code == 2
    assert "the sweep spec differs" in err and "--force" in err
    assert "changed grid.scheduler.max_num_seqs: [2, 8] -> [2, 4]" in err
    before = statuses(copy)
    code, _, err = run_cli(capsys, "sweep", changed, "--out", copy, "--force")
    assert code == 0, err
    after = statuses(copy)
    # max_num_seqs=2 points are shared and kept; the four max_num_seqs=4 points are new; the 8s leave.
    shared = set(before) & set(after)
    assert len(shared) == 4 and len(after) == 8
    assert "(4 run now, 4 before)" in err
    assert all((copy / "points" / pid / "results.json").is_file() for pid in before)  # nothing deleted


class _FailsFirstPoint:
    """wrap_runner whose first point raises mid-run (as a bug would); every later point runs normally."""

    def __init__(self):
        self.calls = 0

    def __call__(self, runner):
        self.calls += 1
        if self.calls == 1:
            class Broken:
                def execute(self, plan, kv):
                    raise RuntimeError("the runner broke")

                def __getattr__(self, name):
                    return getattr(runner, name)

            return Broken()
        return runner


def test_a_failing_point_is_recorded_and_the_others_go_on(tmp_path, capsys):
    spec = load_spec(write_spec(tmp_path, """
[base]
workload.spec = TINY_ONLINE
warmup = false
model.threads = 1
[grid]
strategies = ["continuous", "tokenmaxxing"]
"""))
    out = tmp_path / "sweep"
    outcome = run_sweep(spec, out, LocalExecutor(wrap_runner=_FailsFirstPoint()))
    points = {p["values"]["strategies"]: p for p in manifest(out)["points"]}
    assert points["tokenmaxxing"]["status"] == "complete"
    bad = points["continuous"]
    assert bad["status"] == "failed" and bad["error"].startswith("RuntimeError: the runner broke (at ")
    assert bad["failures"] == [bad["error"]] and not (out / bad["dir"]).exists()
    assert [r.id for r in outcome.failed] == [bad["id"]]
    code, _, err = run_cli(capsys, "report", out, "--out-dir", tmp_path / "report", "--format", "md")
    assert code == 0, err
    md = (tmp_path / "report" / "report.md").read_text()
    assert "## Points not complete" in md and "the runner broke" in md
    # Run again: only the failed point is tried again.
    code, _, err = run_cli(capsys, "sweep", spec.where, "--out", out)
    assert code == 0, err
    assert "1 of 2 points already complete: running the other 1" in err
    again = {p["values"]["strategies"]: p for p in manifest(out)["points"]}["continuous"]
    assert again["status"] == "complete" and again["attempts"] == 2 and again["failures"] == [bad["error"]]


def test_a_failed_point_makes_the_command_exit_1(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("the failing point asks for CUDA, which this machine has")
    spec = write_spec(tmp_path, '[base]\nworkload.spec = "tiny"\nworkload.num_requests = 2\nwarmup = false\n'
                                'strategies = ["continuous"]\n[grid]\n"model.device" = ["cpu", "cuda"]\n')
    code, _, err = run_cli(capsys, "sweep", spec, "--out", tmp_path / "sweep")
    assert code == 1
    assert "no CUDA device is available" in err and "1 of 2 points complete (1 run now, 0 before), 1 failed" in err


def test_a_damaged_point_is_run_again_and_only_it(grid_sweep, tmp_path):
    spec_path, root, _ = grid_sweep
    copy = shutil.copytree(root, tmp_path / "copy")
    victim = manifest(copy)["points"][3]
    table = next((copy / victim["dir"]).glob("steps.*"))
    table.write_bytes(table.read_bytes()[:-10])  # truncated: its digest no longer matches
    untouched = {p["id"]: (copy / p["dir"] / "results.json").read_bytes() for p in manifest(copy)["points"]}
    outcome = run_sweep(load_spec(spec_path), copy, LocalExecutor())
    assert outcome.ran == 1 and outcome.reused == 7
    assert [r.id for r in outcome.records if r.attempts == 2] == [victim["id"]]
    load_results(copy / victim["dir"])
    for pid, text in untouched.items():
        if pid != victim["id"]:
            assert (copy / "points" / pid / "results.json").read_bytes() == text


def test_dry_run_lists_points_and_runs_nothing(grid_sweep, tmp_path, capsys):
    spec_path, root, _ = grid_sweep
    code, out, _ = run_cli(capsys, "sweep", spec_path, "--out", root, "--dry-run")
    assert code == 0 and out.count("complete") == 8
    code, out, _ = run_cli(capsys, "sweep", spec_path, "--out", tmp_path / "new", "--dry-run")
    assert code == 0 and out.count("to run") == 8 and not (tmp_path / "new").exists()


def test_a_directory_that_is_not_a_sweep_is_refused(tmp_path, capsys):
    spec = write_spec(tmp_path, GRID)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    code, _, err = run_cli(capsys, "sweep", spec, "--out", tmp_path / "busy")
    assert code == 2 and "not empty and not a sweep directory" in err


def test_ray_missing_is_one_line(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    spec = write_spec(tmp_path, GRID)
    code, _, err = run_cli(capsys, "sweep", spec, "--executor", "ray", "--out", tmp_path / "o")
    assert code == 2
    assert err.strip() == "tokbench: error: --executor ray needs Ray: pip install 'tokbench[ray]' (or pip install ray)"
    assert not (tmp_path / "o").exists()
