"""Length-only CSV of LLM-serving simulators (Vidur, Sarathi-Serve processed traces):
num_prefill_tokens,num_decode_tokens, optionally arrived_at (seconds)."""

from tokbench.workload.traces.format import TraceFormat

LENGTHS_TIMED = TraceFormat(
    name="lengths",
    title="length CSV: num_prefill_tokens,num_decode_tokens[,arrived_at]",
    layout="csv",
    columns={"prompt": "num_prefill_tokens", "output": "num_decode_tokens", "arrival": "arrived_at"},
    time_unit="s",
    also_layouts=("parquet",),
)

# Without arrived_at every request arrives at once (an offline workload).
LENGTHS = TraceFormat(
    name="lengths",
    title=LENGTHS_TIMED.title,
    layout="csv",
    columns={"prompt": "num_prefill_tokens", "output": "num_decode_tokens"},
    also_layouts=("parquet",),
)
