"""Noise detection: equal work that took unequal time, the machine's load, and the one-line warning."""

import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from tokbench.benchmark.noise import warning
from tokbench.environment import load_between, sample_load
from tokbench.metrics.step_noise import round_slowdowns, slow_stretch, expected_seconds


def _steps(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Decode steps whose time follows their work (rows and KV read), with 3% jitter."""
    rng = np.random.default_rng(seed)
    batch = rng.integers(1, 64, n)
    kv = batch * rng.integers(50, 800, n)
    work = 2e-3 + 1e-4 * batch + 2e-7 * kv
    return pd.DataFrame({"kind": "decode", "layout": "packed", "batch_size": batch, "real_tokens": batch,
                         "padded_tokens": 0, "kv_read_tokens": kv, "attention_pairs": kv,
                         "duration_s": work * rng.uniform(0.97, 1.03, n)})


def test_expected_step_time_follows_the_work():
    steps = _steps()
    ratio = steps["duration_s"] / expected_seconds(steps)
    assert ratio.between(0.9, 1.1).all()


def test_a_slow_stretch_is_found_with_its_share_and_slowdown():
    steps = _steps()
    steps.loc[100:159, "duration_s"] *= 2.5  # another process took the cores for 60 steps
    stretch = slow_stretch(steps, expected_seconds(steps))
    share = steps["duration_s"][100:160].sum() / steps["duration_s"].sum()
    assert stretch["slow_share"] == pytest.approx(share, abs=0.06)
    assert stretch["slowdown"] == pytest.approx(2.5, rel=0.1)


def test_a_quiet_round_has_no_slow_stretch():
    steps = _steps()
    assert slow_stretch(steps, expected_seconds(steps)) == {"slow_seconds": 0.0, "slow_share": 0.0, "slowdown": None}


def test_a_round_slower_than_the_others_on_the_same_steps_stands_out():
    one = _steps(120)
    rounds = pd.concat([one.assign(round=r, duration_s=one["duration_s"] * (1.5 if r == 1 else 1.0))
                        for r in range(3)], ignore_index=True)
    slowdowns = round_slowdowns(rounds)
    assert slowdowns[1] == pytest.approx(1.5, rel=0.05)
    assert slowdowns[0] == pytest.approx(1.0, rel=0.05) and slowdowns[2] == pytest.approx(1.0, rel=0.05)
    assert round_slowdowns(one.assign(round=0)) == {}  # one round: nothing to compare with


QUIET = {"round": 1, "position": 0, "load_average_before": 0.3, "load_average_after": 0.4, "cores": 2,
         "other_cpu_cores": 0.05, "gpu_other_processes": None, "slow_seconds": 0.0, "slow_share": 0.0,
         "slowdown": None, "round_slowdown": 1.01, "warning": None}


def test_a_quiet_record_gives_no_warning():
    assert warning("tokenmaxxing", QUIET, rounds=5) is None


def test_a_disturbed_round_is_named_in_one_line():
    record = {**QUIET, "other_cpu_cores": 1.6, "load_average_after": 4.8, "round_slowdown": 2.7,
              "slow_seconds": 14.0, "slow_share": 0.4, "slowdown": 2.5, "gpu_other_processes": 1}
    line = warning("tokenmaxxing", record, rounds=5)
    assert line.startswith("noise: tokenmaxxing (round 2 of 5): its steps took 2.70× as long as the same steps "
                           "in its fastest round")
    assert "ran 2.5× slower than the same work in the rest of the round for 14.0 s (40% of its time)" in line
    assert "other processes took 1.6 of 2 cores" in line and "1 other process(es) on the GPU" in line
    assert line.endswith("load average 4.8 on 2 cores") and "\n" not in line
    assert warning("tokenmaxxing", {**QUIET, "other_cpu_cores": 0.6}, rounds=1).startswith("noise: tokenmaxxing: ")


def test_cpu_taken_by_another_process_is_counted_as_others():
    before = sample_load(torch.device("cpu"))
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.5)
        after = sample_load(torch.device("cpu"))  # the child still runs: its time is not this process's
    finally:
        busy.kill()
        busy.wait()
    figures = load_between(before, after)
    assert figures["other_cpu_cores"] >= 0.3
    assert figures["cores"] >= 1 and figures["gpu_other_processes"] is None
