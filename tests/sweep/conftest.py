"""A grid sweep run once for the tests that only read it (report, compare, resume)."""

from __future__ import annotations

import pytest

from sweep.helpers import GRID, write_spec
from tokbench.sweep import LocalExecutor, load_spec, run_sweep


@pytest.fixture(scope="session")
def grid_sweep(tmp_path_factory):
    """(spec path, sweep directory, outcome) of GRID run by the local executor."""
    root = tmp_path_factory.mktemp("grid-sweep")
    spec = write_spec(root, GRID)
    outcome = run_sweep(load_spec(spec), root / "sweep", LocalExecutor())
    return spec, root / "sweep", outcome
