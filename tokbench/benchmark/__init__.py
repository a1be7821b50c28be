"""The library layer above one engine: a run as a value (RunConfig) and run_benchmark()."""
