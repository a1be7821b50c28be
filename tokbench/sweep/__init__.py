"""Sweeps: many RunConfigs (a grid, explicit points, capacity probes), each run once and kept.

    from tokbench.sweep import load_spec, run_sweep, LocalExecutor
    spec = load_spec("sweep.toml")
    outcome = run_sweep(spec, "results/sweeps/mine", LocalExecutor())

A point is one RunConfig; its id is a hash of the config, its results an ordinary results
directory under the sweep's `points/`; `manifest.json` says what ran where (docs/sweeps.md).
"""

from tokbench.sweep.driver import SweepOutcome, run_sweep
from tokbench.sweep.local_executor import LocalExecutor
from tokbench.sweep.spec import SweepSpec, load_spec

__all__ = ["LocalExecutor", "SweepOutcome", "SweepSpec", "load_spec", "run_sweep"]
