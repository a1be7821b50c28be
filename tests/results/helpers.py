"""Helpers shared by the results, report and gate tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
import pytest

from tokbench.cli.app import main
from tokbench.metrics.cost_model import CostModel
from tokbench.metrics.summary import summarize
from tokbench.engine.recorder import REQUEST_COLUMNS, STEP_COLUMNS, TOKEN_COLUMNS
from tokbench.results.schema import REQUIRED_SUMMARY
from tokbench.results.writer import write_results
from tokbench.workload.types import Workload

# Written by `tokbench run --workload tiny --max-model-len 256 --threads 1` (four strategies) with the
# first results schema; later versions must keep loading it.
FIXTURE = Path(__file__).parent / "data" / "results-v1"


def copy_fixture(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "results"))


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `tokbench ARGS` through the real entry point: (exit code, stdout, stderr)."""
    old = sys.argv
    sys.argv = ["tokbench", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out, out.err


def rewrite_results(src: Path, out: Path, change_steps=None) -> Path:
    """A copy of results `src` written afresh (valid digests), its steps table passed through `change_steps`."""
    from tokbench.results import load_results

    res = load_results(src)
    steps = change_steps(res.steps.copy()) if change_steps else res.steps
    config = res.doc["config"]
    runs = []
    for run in res.runs:  # summaries follow the changed steps, as `tokbench run` would have computed them
        rows = {t: frame[frame["run"] == run["name"]].reset_index(drop=True)
                for t, frame in (("requests", res.requests), ("steps", steps), ("tokens", res.tokens))}
        summary = summarize(rows["requests"], rows["steps"], rows["tokens"], cost=CostModel(**config["cost_model"]),
                            peak_bandwidth=config["peaks"]["peak_bandwidth"], peak_flops=config["peaks"]["peak_flops"])
        runs.append({**run, "summary": summary})
    tables = {"requests": [res.requests], "steps": [steps], "tokens": [res.tokens]}
    extra = {k: res.doc[k] for k in ("run_config", "fingerprint") if k in res.doc}  # the same benchmark
    return write_results(out, config=config, environment=res.doc["environment"], runs=runs,
                         tables=tables, workload=res.doc["workload"], extra=extra).parent


def synthetic_results(out: Path, summaries: dict[str, dict | list[dict]]) -> Path:
    """A results directory whose runs have exactly these summary values (tables are empty stubs).

    A list of dicts is a run's rounds (as --repeats writes them): its summary is their medians."""
    from tokbench.metrics.rounds import aggregate

    runs = []
    for name, values in summaries.items():
        rounds = [{**{key: 1.0 for key in REQUIRED_SUMMARY}, **v} for v in (values if isinstance(values, list)
                                                                           else [values])]
        summary, intervals = aggregate(rounds)
        runs.append({"name": name, "backend": "tokbench", "strategy": name, "summary": summary, "rounds": rounds,
                     "intervals": {k: e.to_dict() for k, e in intervals.items()}})
    tables = {
        "requests": [pd.DataFrame([[0, 0.0, 0.0, 0.1, 0.2, 4, 2, 0, 0, name]], columns=[*REQUEST_COLUMNS, "run"])
                     for name in summaries],
        "steps": [pd.DataFrame(columns=[*STEP_COLUMNS, "run"])],
        "tokens": [pd.DataFrame(columns=[*TOKEN_COLUMNS, "run"])],
    }
    env = {"tokbench_version": "test", "git_commit": None, "python": "3", "torch": "test", "cuda": None,
           "driver": None, "platform": "test", "cpu_model": None, "cpu_count": None, "cpu_usable": None,
           "torch_threads": 1, "device": "cpu", "device_name": None, "device_memory_bytes": None,
           "compute_capability": None, "attention_backend": "test"}
    config = {"model": {"spec": "test", "dtype": "float32"}, "workload": {}, "seed": 0}
    wl = Workload(name="synthetic", requests=[], source={})
    return write_results(out, config=config, environment=env, runs=runs, tables=tables, workload=wl)


@contextmanager
def tmpfs(mount: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at `mount` (e.g. options "size=256k" or "ro,size=64k") for the block, unmounted
    after; the test is skipped, saying why, where the machine refuses the mount (not root, a container)."""
    mount.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({options}) here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
