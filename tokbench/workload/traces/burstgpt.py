"""BurstGPT (HPMLL/BurstGPT): Timestamp in seconds from the start; 0 response tokens = a failed
request, excluded and counted. Newer releases add Session ID and Elapsed time, which are ignored."""

from tokbench.workload.traces.format import TraceFormat

BURSTGPT = TraceFormat(
    name="burstgpt",
    title="BurstGPT: Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
    layout="csv",
    columns={"arrival": "Timestamp", "prompt": "Request tokens", "output": "Response tokens"},
    time_unit="s",
    zero_output_means_failed=True,
    times_from_start=True,
    also_layouts=("parquet",),
)
