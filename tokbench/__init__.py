"""tokbench: measure which LLM-inference scheduling strategy serves a model and traffic best.

    from tokbench import RunConfig, WorkloadSettings, run_benchmark
    results = run_benchmark(RunConfig(workload=WorkloadSettings("high-variance")))
    results.summary_frame()

Names resolve on first use, so `import tokbench` (and every command that needs no model) stays light.
"""

__version__ = "0.1.0"

_LAZY = {
    "RunConfig": "tokbench.benchmark.config",
    "ModelSettings": "tokbench.benchmark.config",
    "WorkloadSettings": "tokbench.benchmark.config",
    "SchedulerSettings": "tokbench.benchmark.config",
    "SLOSettings": "tokbench.benchmark.config",
    "run_benchmark": "tokbench.benchmark.run",
    "load_config": "tokbench.benchmark.config_files",
    "load_results": "tokbench.results",
    "Results": "tokbench.results",
    "WorkloadOptions": "tokbench.workload.options",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tokbench' has no attribute {name!r}")
