"""Strategies simulated in worker processes give exactly the tables and summaries of one process;
the tables come back through files (simulate/spill.py), the runs' tokens in one shared file."""

import errno
import os

import numpy as np
import pandas as pd
import pytest

from tokbench.benchmark.config import ModelSettings, RunConfig, WorkloadSettings
from tokbench.benchmark.results_doc import consecutive_view, labelled_concat
from tokbench.errors import UserError
from tokbench.simulate import roofline_for, simulate_benchmark
from tokbench.simulate import spill as spill_module
from tokbench.simulate.spill import Scratch, scratch_directory, spill, unspill
from tokbench.workload.options import WorkloadOptions


@pytest.fixture(scope="module")
def config():
    return RunConfig(model=ModelSettings("tiny"),
                     workload=WorkloadSettings("chat", WorkloadOptions(num_requests=300, over_length="clip")))


def test_workers_give_the_tables_and_summaries_of_one_process(config):
    cost = roofline_for(config, "H100-SXM")
    alone = simulate_benchmark(config, cost, workers=1)
    forked = simulate_benchmark(config, cost, workers=2)
    for name in ("steps", "requests", "tokens"):
        pd.testing.assert_frame_equal(getattr(forked, name), getattr(alone, name), check_exact=True)
    assert [r["summary"] for r in forked.runs] == [r["summary"] for r in alone.runs]
    assert [r["name"] for r in forked.runs] == [r["name"] for r in alone.runs]  # the config's order


def _tables(n, seed):
    rng = np.random.default_rng(seed)
    return {"tokens": pd.DataFrame({"request_id": rng.integers(0, 9, n), "time_s": rng.random(n)}),
            "steps": pd.DataFrame({"step": np.arange(n + seed), "kind": ["decode"] * (n + seed)})}


def test_spilled_tables_come_back_equal_and_shared_ones_join_without_a_copy():
    runs = [_tables(50, 0), _tables(50, 1), _tables(50, 2)]
    with scratch_directory() as scratch:
        spilled = [spill(t, scratch, i, {"tokens": 50, "steps": 51}) for i, t in enumerate(runs)]
        back = unspill(spilled)
    for before, after in zip(runs, back):
        for name in before:
            pd.testing.assert_frame_equal(after[name], before[name], check_exact=True)
    # Tokens shared one file: joined as a view of it. Steps had 50, 51 and 52 rows: one file each
    # (only run 1 matched the shared length), joined by a copy.
    parts = [b["tokens"]["time_s"].to_numpy() for b in back]
    joined = consecutive_view(parts)
    assert joined is not None and np.shares_memory(joined, parts[0])
    np.testing.assert_array_equal(joined, np.concatenate(parts))
    assert consecutive_view([b["steps"]["step"].to_numpy() for b in back]) is None
    table = labelled_concat([(f"r{i}", b["tokens"]) for i, b in enumerate(back)], [])
    assert np.shares_memory(table["time_s"].to_numpy(), parts[0])
    assert list(table["run"]) == ["r0"] * 50 + ["r1"] * 50 + ["r2"] * 50


def test_pieces_out_of_order_or_with_gaps_are_not_one_view():
    a = np.arange(10.0)
    assert consecutive_view([a[0:3], a[3:7], a[7:10]]) is not None
    assert consecutive_view([a[3:7], a[0:3]]) is None
    assert consecutive_view([a[0:3], a[4:7]]) is None
    assert consecutive_view([a[0:3], np.arange(3.0, 7.0)]) is None
    assert consecutive_view([a[::2][:2], a[4:6]]) is None


def _full(directories):
    """_write_at as if every directory in `directories` had no space left."""
    real = spill_module._write_at

    def write_at(path, data, offset):
        if os.path.dirname(path) in directories:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return real(path, data, offset)
    return write_at


def test_a_full_shared_memory_falls_back_to_the_temp_directory(monkeypatch, tmp_path):
    primary, fallback = tmp_path / "shm", tmp_path / "tmp"
    primary.mkdir(), fallback.mkdir()
    scratch = Scratch(str(primary), str(fallback))
    runs = [_tables(50, 0), _tables(50, 1)]
    monkeypatch.setattr(spill_module, "_write_at", _full({str(primary)}))
    back = unspill([spill(t, scratch, i, {"tokens": 50}) for i, t in enumerate(runs)])
    for before, after in zip(runs, back):
        pd.testing.assert_frame_equal(after["tokens"], before["tokens"], check_exact=True)
    assert not list(primary.iterdir()) and list(fallback.iterdir())
    monkeypatch.setattr(spill_module, "_write_at", _full({str(primary), str(fallback)}))
    with pytest.raises(UserError, match="no room to hand a run's tables over"):
        spill(runs[0], scratch, 0, {"tokens": 50})


def test_a_column_is_written_whole_when_the_system_writes_it_in_pieces(monkeypatch, tmp_path):
    real = os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, offset: real(fd, data[:7], offset))  # 7 bytes a call
    runs = [_tables(50, 0), _tables(50, 1)]
    scratch = Scratch(str(tmp_path), str(tmp_path))
    back = unspill([spill(t, scratch, i, {"tokens": 50}) for i, t in enumerate(runs)])
    for before, after in zip(runs, back):
        for name in before:
            pd.testing.assert_frame_equal(after[name], before[name], check_exact=True)


def test_no_workers_is_refused_in_one_line(config):
    with pytest.raises(UserError, match=r"^--workers 0: must be at least 1"):
        simulate_benchmark(config, roofline_for(config, "H100-SXM"), workers=0)
