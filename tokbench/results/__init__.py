"""Results: what `tokbench run` writes and every other command reads (docs/results-format.md).

The public API is three names:

    from tokbench.results import load_results
    res = load_results("results/latest")
    res.summary_frame()            # DataFrame: one row per run, one column per summary metric
    res.requests, res.steps        # DataFrames of every run, told apart by their `run` column
    res.run("tokenmaxxing").steps  # RunResult: one run's summary and tables
"""

from tokbench.results.loader import Results, RunResult, load_results

__all__ = ["Results", "RunResult", "load_results"]
