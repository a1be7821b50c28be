"""Mooncake traces (kvcache-ai/Mooncake, FAST'25): JSONL with timestamp in ms, input_length,
output_length and hash_ids, one id per 512-token prompt block; equal ids = a shared prefix."""

from tokbench.workload.traces.format import TraceFormat

MOONCAKE = TraceFormat(
    name="mooncake",
    title="Mooncake JSONL: timestamp (ms), input_length, output_length, hash_ids",
    layout="jsonl",
    columns={"arrival": "timestamp", "prompt": "input_length", "output": "output_length", "blocks": "hash_ids"},
    time_unit="ms",
    also_layouts=("parquet",),
)
