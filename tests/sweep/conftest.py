"""Sweeps run once for the tests that only read them (report, compare, resume, capacity)."""

from __future__ import annotations

import pytest

from sweep.helpers import CAPACITY, GRID, STEP_S, write_spec
from sweep.paced_runner import paced
from tokbench.sweep import LocalExecutor, load_spec, run_sweep


@pytest.fixture(scope="session")
def grid_sweep(tmp_path_factory):
    """(spec path, sweep directory, outcome) of GRID run by the local executor."""
    root = tmp_path_factory.mktemp("grid-sweep")
    spec = write_spec(root, GRID)
    outcome = run_sweep(load_spec(spec), root / "sweep", LocalExecutor())
    return spec, root / "sweep", outcome


@pytest.fixture(scope="session")
def capacity_sweep(tmp_path_factory):
    """(spec, sweep directory, outcome) of the capacity search on the paced runner."""
    root = tmp_path_factory.mktemp("capacity")
    spec = load_spec(write_spec(root, CAPACITY))
    outcome = run_sweep(spec, root / "sweep", LocalExecutor(wrap_runner=paced(STEP_S)))
    return spec, root / "sweep", outcome
