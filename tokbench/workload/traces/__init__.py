"""Recorded traces -> LengthTable. One format a module; `read_trace` detects and dispatches."""

from tokbench.workload.traces.registry import read_trace

__all__ = ["read_trace"]
