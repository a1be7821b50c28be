"""Malformed trace files, generated on the fly: (file name, content, words the error must contain)."""

from __future__ import annotations

import bz2
import gzip
import io
from pathlib import Path

AZURE_HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
T0 = "2023-11-16 18:00:00.1304380"
T1 = "2023-11-16 18:00:01.2821770"
T2 = "2023-11-16 18:00:02.3063150"


def _azure(*rows: str) -> bytes:
    return (AZURE_HEADER + "\n".join(rows) + "\n").encode()


def _mooncake(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


GOOD_MOONCAKE = '{"timestamp": 0, "input_length": 600, "output_length": 20, "hash_ids": [1, 2]}'

CASES: list[tuple[str, bytes, str]] = [
    ("empty.csv", b"", "file is empty"),
    ("header_only.csv", AZURE_HEADER.encode(), "no data rows"),
    ("missing_column.csv", f"TIMESTAMP,ContextTokens\n{T0},12\n".encode(), "missing column 'GeneratedTokens'"),
    ("misnamed_column.csv", f"TIMESTAMP,ContextToken,GeneratedTokens\n{T0},12,3\n".encode(), "found 'ContextToken'"),
    ("nan_length.csv", _azure(f"{T0},12,3", f"{T1},NaN,3"), "row 2 (line 3), column 'ContextTokens': value is missing"),
    ("empty_cell.csv", _azure(f"{T0},12,3", f"{T1},5,"), "column 'GeneratedTokens': value is missing"),
    (
        "negative_length.csv",
        _azure(f"{T0},12,3", f"{T1},7,4", f"{T2},-3,4"),
        "row 3 (line 4), column 'ContextTokens': length is negative",
    ),
    ("zero_length.csv", _azure(f"{T0},0,3"), "length is zero"),
    ("fractional_length.csv", _azure(f"{T0},12.5,3"), "not a whole number"),
    ("text_length.csv", _azure(f"{T0},12,3", f"{T1},twelve,3"), "value is not a number (got 'twelve')"),
    (
        "bad_timestamp.csv",
        _azure(f"{T0},12,3", "2023-13-45 99:00:00,12,3"),
        "column 'TIMESTAMP': timestamp cannot be parsed",
    ),
    ("non_monotonic.csv", _azure(f"{T2},12,3", f"{T0},12,3"), "timestamp is earlier than the row before"),
    ("semicolon.csv", b"TIMESTAMP;ContextTokens;GeneratedTokens\n2023-11-16 18:00:00;1;2\n", "semicolon-separated"),
    ("latin1.csv", _azure(f"{T0},12,3") + "caf\xe9,1,2\n".encode("latin-1"), "line 3"),
    ("utf16.csv", _azure(f"{T0},12,3").decode().encode("utf-16"), "UTF-16"),
    (
        "truncated.csv.gz",
        gzip.compress(_azure(*[f"{T0},{i + 1},3" for i in range(5000)]))[:-200],
        "truncated or corrupt",
    ),
    ("wrong_field_count.csv", _azure(f"{T0},12,3", f"{T1},12"), "line 3: 2 fields where the header has 3"),
    ("unknown_columns.csv", b"foo,bar\n1,2\n", "cannot tell the trace format"),
    (
        "bad_json_line.jsonl",
        _mooncake(GOOD_MOONCAKE, GOOD_MOONCAKE, '{"timestamp": 5, "input_len'),
        "line 3: not valid JSON",
    ),
    (
        "negative_input.jsonl",
        _mooncake(GOOD_MOONCAKE, GOOD_MOONCAKE.replace("600", "-5")),
        "line 2, column 'input_length': length is negative",
    ),
    (
        "bad_hash_ids.jsonl",
        _mooncake(GOOD_MOONCAKE, GOOD_MOONCAKE.replace("[1, 2]", '"abc"')),
        "hash_ids is not a list",
    ),
    ("blank.jsonl", b"\n\n  \n", "file is empty"),
    (
        "burstgpt_bad_time.csv",
        b"Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
        b"0,ChatGPT,5,6,11,API log\nsoon,ChatGPT,5,6,11,API log\n",
        "column 'Timestamp': timestamp cannot be parsed",
    ),
    (
        "burstgpt_all_failed.csv",
        b"Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
        b"0,ChatGPT,5,0,5,API log\n1,GPT-4,7,0,7,API log\n",
        "none of the 2 rows is usable",
    ),
    ("sharegpt_broken.json", b'[{"conversations": [{"from": "human", "value": "hi"}', "invalid JSON"),
    (
        "sharegpt_no_pairs.json",
        b'[{"conversations": [{"from": "gpt", "value": "hi"}]}]',
        "has a human turn followed by a reply",
    ),
    ("garbage.parquet", b"PAR1 this is not parquet", "not a readable Parquet file"),
    (
        "bad_spec.json",
        b'{"num_requests": 4, "prompt": {"dist": "weird"}, "output": {"dist": "fixed", "value": 3}}',
        "unknown dist 'weird'",
    ),
]


def _parquet(columns: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


BURST_HEADER = b"Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"

CASES += [
    ("too_large.csv", _azure(f"{T0},1e30,3"), "column 'ContextTokens': length is too large"),
    ("inf_length.csv", _azure(f"{T0},12,inf"), "column 'GeneratedTokens': value is not a number (got 'inf')"),
    (
        "mooncake_missing_key.jsonl",
        _mooncake(GOOD_MOONCAKE, '{"timestamp": 5, "input_length": 600, "hash_ids": [1, 2]}'),
        "line 2, column 'output_length': value is missing",
    ),
    (
        "mooncake_backwards.jsonl",
        _mooncake(GOOD_MOONCAKE.replace('"timestamp": 0', '"timestamp": 500'), GOOD_MOONCAKE),
        "line 2, column 'timestamp': timestamp is earlier than the row before",
    ),
    (
        "truncated.csv.bz2",
        bz2.compress(_azure(*[f"{T0},{i + 1},3" for i in range(5000)]))[:-100],
        "bz2 data is truncated or corrupt",
    ),
    (
        "azure2024_bad_zone.csv",
        _azure("2024-05-10 00:00:00.1+00:00,3,4", "2024-05-10 00:00:01.5+99:00,3,4"),
        "row 2 (line 3), column 'TIMESTAMP': timestamp cannot be parsed",
    ),
    (
        "lengths_fractional.csv",
        b"num_prefill_tokens,num_decode_tokens\n12,7\n12.7,8\n",
        "row 2 (line 3), column 'num_prefill_tokens': length is not a whole number",
    ),
    ("blank_lines.csv", b"\n\n\n", "file is empty"),
    (
        "jsonl_not_object.jsonl",
        _mooncake(GOOD_MOONCAKE, "[1, 2, 3]"),
        "line 2: expected a JSON object, got list",
    ),
    ("jsonl_latin1.jsonl", _mooncake(GOOD_MOONCAKE) + b'{"timestamp": 1, "input_length": 6\xe9}\n', "line 2"),
    ("data_semicolons.csv", _azure(f"{T0},12,3", f"{T1};12;3"), "line 3: 1 fields where the header has 3"),
    ("tab_separated.csv", b"TIMESTAMP\tContextTokens\tGeneratedTokens\n2023-11-16 18:00:00\t1\t2\n", "tab-separated"),
    ("one_object.json", b'{"conversations": []}', "one JSON object: neither a ShareGPT list"),
    (
        "spec_typo.json",
        b'{"num_requests": 4, "promt": {"dist": "fixed", "value": 3}, "output": {"dist": "fixed", "value": 3}}',
        "unknown key(s) promt",
    ),
    (
        "burstgpt_negative.csv",
        BURST_HEADER + b"0,ChatGPT,5,6,11,API log\n1,ChatGPT,-5,6,1,API log\n",
        "row 2 (line 3), column 'Request tokens': length is negative",
    ),
    (
        "parquet_wrong_columns.parquet",
        _parquet({"when": [0.0, 1.0], "a": [1, 2], "b": [3, 4]}),
        "schema: cannot tell the trace format",
    ),
    (
        "parquet_negative.parquet",
        _parquet({"TIMESTAMP": ["2023-11-16 18:00:00", "2023-11-16 18:00:01"], "ContextTokens": [1, -2],
                  "GeneratedTokens": [3, 4]}),
        "row 2, column 'ContextTokens': length is negative",
    ),
]


def write_corpus(directory: Path) -> list[tuple[Path, str]]:
    out = []
    for name, content, expected in CASES:
        path = directory / name
        path.write_bytes(content)
        out.append((path, expected))
    return out
