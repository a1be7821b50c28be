"""The Ray executor on a real local cluster (two CPUs): the same results as local, and dying workers.

Few tests, one cluster: starting Ray costs seconds.
"""

import json
import os
import signal
import threading
import time

import pandas as pd
import pytest

from sweep.helpers import SLOW, manifest, write_spec
from tokbench.results import load_results
from tokbench.sweep import LocalExecutor, load_spec, run_sweep

ray = pytest.importorskip("ray", reason="the Ray executor's tests need ray (pip install -e '.[test]')")
psutil = pytest.importorskip("psutil")

from tokbench.sweep.ray_executor import RayExecutor  # noqa: E402

TIMING = {"steps": ("start_s", "end_s", "duration_s", "schedule_s", "prepare_s"),
          "requests": ("first_scheduled_s", "first_token_s", "finish_s"), "tokens": ("time_s",)}
COUNTS = ("completed", "total_input_tokens", "total_output_tokens", "num_steps", "preemptions", "padding_ratio",
          "peak_kv_reserved_tokens", "mean_batch_size", "token_budget_utilization")


def test_an_unreachable_address_is_one_line_and_leaves_nothing(tmp_path, capsys):
    from results.helpers import run_cli

    spec = write_spec(tmp_path, SLOW)
    code, _, err = run_cli(capsys, "sweep", spec, "--executor", "ray", "--address", "127.0.0.1:1",
                           "--out", tmp_path / "sweep")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--address 127.0.0.1:1: cannot reach a Ray cluster there" in err
    assert not (tmp_path / "sweep").exists()


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def _same_except_timings(a, b) -> None:
    for key in ("run_config", "workload", "failures", "notes", "environment"):
        assert a.doc.get(key) == b.doc.get(key), key
    measured = ("peaks",)  # the device's bandwidth and FLOP/s, measured at each run
    assert {k: v for k, v in a.doc["config"].items() if k not in measured} == \
        {k: v for k, v in b.doc["config"].items() if k not in measured}
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert {k: ra[k] for k in ("name", "strategy", "knobs")} == {k: rb[k] for k in ("name", "strategy", "knobs")}
        assert set(ra["summary"]) == set(rb["summary"])
        assert {k: ra["summary"][k] for k in COUNTS} == {k: rb["summary"][k] for k in COUNTS}
    for table, timing in TIMING.items():
        pd.testing.assert_frame_equal(getattr(a, table).drop(columns=list(timing)),
                                      getattr(b, table).drop(columns=list(timing)))


def test_the_same_sweep_under_local_and_ray_gives_the_same_tokens_and_files(cluster, tmp_path):
    # Offline, so the steps too are the same (online arrivals would meet different step timings).
    spec = load_spec(write_spec(tmp_path, """
[base]
workload.spec = "tiny"
workload.num_requests = 6
warmup = false
model.threads = 1
save_outputs = true
[grid]
strategies = ["continuous", "static-padded"]
"scheduler.max_num_seqs" = [2, 4]
"""))
    local = run_sweep(spec, tmp_path / "local", LocalExecutor())
    remote = run_sweep(spec, tmp_path / "ray", RayExecutor())
    assert remote.ran == 4 and not remote.failed
    assert [r.id for r in local.records] == [r.id for r in remote.records]
    assert all(r.host for r in remote.records)  # the worker's host is recorded
    for record in local.records:
        a, b = tmp_path / "local" / record.dir, tmp_path / "ray" / record.dir
        assert (a / "outputs.jsonl").read_bytes() == (b / "outputs.jsonl").read_bytes()  # identical tokens
        assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
        _same_except_timings(load_results(a), load_results(b))
    assert manifest(tmp_path / "ray")["executor"] == "ray"


def _kill_workers(plan: dict[str, int], stop: threading.Event, killed: dict[str, int]) -> None:
    """Kill the worker running point ID (by its Ray process title) up to plan[ID] times, once per attempt."""
    seen: set[int] = set()
    while not stop.is_set():
        for proc in psutil.process_iter(["pid", "cmdline"]):
            title = (proc.info["cmdline"] or [""])[0]
            if not title.startswith("ray::tokbench-point-") or proc.info["pid"] in seen:
                continue
            pid = title.removeprefix("ray::tokbench-point-").strip()
            if killed.get(pid, 0) < plan.get(pid, 0):
                time.sleep(0.3)  # mid-point
                seen.add(proc.info["pid"])
                os.kill(proc.info["pid"], signal.SIGKILL)
                killed[pid] = killed.get(pid, 0) + 1
        time.sleep(0.05)


def test_killed_workers_are_retried_then_failed_while_others_go_on(cluster, tmp_path):
    # ... and a point that asks for more threads than any node has: failed at once, not queued forever.
    spec = load_spec(write_spec(tmp_path, SLOW + '[[point]]\nstrategies = "continuous"\n"model.threads" = 3\n'))
    from tokbench.sweep.points import plan_points

    ids = {p.values["strategies"]: p.id for p in plan_points(spec) if p.origin == "grid"}
    plan = {ids["continuous"]: 1, ids["static-padded"]: 2}  # tokenmaxxing is left alone
    stop, killed = threading.Event(), {}
    killer = threading.Thread(target=_kill_workers, args=(plan, stop, killed), daemon=True)
    killer.start()
    try:
        outcome = run_sweep(spec, tmp_path / "sweep", RayExecutor(max_retries=1))
    finally:
        stop.set()
        killer.join(timeout=10)
    assert killed == plan
    records = {r.values["strategies"]: r for r in outcome.records if r.origin == "grid"}
    retried = records["continuous"]
    assert retried.status == "complete" and retried.attempts == 2
    assert len(retried.failures) == 1 and retried.failures[0].startswith("WorkerCrashedError")
    load_results(tmp_path / "sweep" / retried.dir)
    lost = records["static-padded"]
    assert lost.status == "failed" and lost.attempts == 2
    assert lost.error.startswith("WorkerCrashedError") and lost.error.endswith("(after 2 attempts)")
    assert not (tmp_path / "sweep" / lost.dir).exists()
    assert records["tokenmaxxing"].status == "complete" and records["tokenmaxxing"].attempts == 1
    (too_big,) = [r for r in outcome.records if r.origin == "point #1"]
    assert too_big.status == "failed"
    assert too_big.error == "cannot be placed: model.threads = 3 but the largest Ray node has 2 CPUs"
    doc = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    assert {p["status"] for p in doc["points"]} == {"complete", "failed"}
