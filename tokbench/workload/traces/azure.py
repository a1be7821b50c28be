"""Azure LLM inference traces (2023 and 2024 releases), Azure/AzurePublicDataset, CC-BY-4.0.

TIMESTAMP is a datetime: 2023 files have 7 decimals and no zone ('2023-11-16 18:17:03.9799600'),
2024 files have a zone and sometimes no fraction ('2024-05-10 00:00:02+00:00'): such a row can
read up to a second earlier than the row before it; it is placed at the previous row's time.
"""

from tokbench.workload.traces.format import TraceFormat

AZURE = TraceFormat(
    name="azure",
    title="Azure LLM inference trace: TIMESTAMP,ContextTokens,GeneratedTokens",
    layout="csv",
    columns={"arrival": "TIMESTAMP", "prompt": "ContextTokens", "output": "GeneratedTokens"},
    time_unit="datetime",
    also_layouts=("parquet",),
    time_resolution_s=1.0,
)
