"""The on-disk layout of a results directory (documented in docs/results-format.md)."""

SCHEMA_NAME = "tokbench.results"
SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"
TABLES = ("requests", "steps", "tokens")
OUTPUTS_FILE = "outputs.jsonl"


def table_format() -> str:
    """Parquet when pyarrow is importable, CSV otherwise."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "csv"
    return "parquet"
