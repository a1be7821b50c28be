"""Trace loaders on the samples in tests/data/traces (real Mooncake and ShareGPT excerpts, format samples), in every container, with the options."""

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tokbench.errors import UserError
from tokbench.workload import WorkloadOptions, load_table, load_workload

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"


def test_azure_2023_and_2024_timestamps():
    t23 = load_table(str(TRACES / "azure2023_format_sample.csv"))
    raw = pd.read_csv(TRACES / "azure2023_format_sample.csv")
    stamps = pd.to_datetime(raw["TIMESTAMP"])
    assert t23.source["format"] == "azure" and len(t23) == len(raw)
    assert np.allclose(t23.arrival_s, (stamps - stamps[0]).dt.total_seconds(), atol=1e-6)
    assert (t23.prompt_len == raw["ContextTokens"]).all()
    t24 = load_table(str(TRACES / "azure2024_format_sample.csv"))
    assert len(t24) == 400 and np.all(np.diff(t24.arrival_s) >= 0)
    # Whole-second rows that read earlier than their predecessor are raised to it, and counted.
    assert t24.source["arrivals_raised_to_previous_row"] > 0


def test_burstgpt_failures_are_excluded_and_counted():
    raw = pd.read_csv(TRACES / "burstgpt_format_sample.csv")
    t = load_table(str(TRACES / "burstgpt_format_sample.csv"))
    failed = int((raw["Response tokens"] == 0).sum())
    assert failed > 0 and t.source["failed_requests_excluded"] == failed and len(t) == len(raw) - failed


def test_mooncake_prefix_blocks_become_shared_tokens():
    w = load_workload(
        str(TRACES / "mooncake_conversation_sample.jsonl"),
        vocab_size=32000,
        max_model_len=200_000,
        options=WorkloadOptions(limit=20),
    )
    lines = [json.loads(x) for x in (TRACES / "mooncake_conversation_sample.jsonl").read_text().splitlines()[:20]]
    a, b = w.requests[0].prompt_token_ids, w.requests[1].prompt_token_ids
    assert lines[0]["hash_ids"][0] == lines[1]["hash_ids"][0] and lines[0]["hash_ids"][1] != lines[1]["hash_ids"][1]
    assert a[:512] == b[:512] and a[512:1024] != b[512:1024]
    assert [r.prompt_len for r in w.requests] == [x["input_length"] for x in lines]


def test_length_scale_scales_prefix_blocks():
    w = load_workload(
        str(TRACES / "mooncake_conversation_sample.jsonl"),
        vocab_size=32000,
        max_model_len=8192,
        options=WorkloadOptions(limit=2, length_scale=0.25),
    )
    a, b = w.requests[0].prompt_token_ids, w.requests[1].prompt_token_ids
    assert a[:128] == b[:128] and a[128:256] != b[128:256]


def test_sharegpt_lengths_csv_is_offline():
    t = load_table(str(TRACES / "sharegpt_lengths_sample.csv"))
    assert t.source["format"] == "lengths" and len(t) == 400 and not t.arrival_s.any()


def test_gzip_parquet_and_generic_mapping(tmp_path):
    src = TRACES / "azure2023_format_sample.csv"
    gz = tmp_path / "azure.csv.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    parquet = tmp_path / "azure.parquet"
    pd.read_csv(src).to_parquet(parquet)
    renamed = tmp_path / "mine.csv"
    pd.read_csv(src).rename(columns={"ContextTokens": "in", "GeneratedTokens": "out", "TIMESTAMP": "when"}).to_csv(
        renamed, index=False
    )
    base = load_table(str(src))
    generic = load_table(
        str(renamed),
        options=WorkloadOptions(columns={"prompt": "in", "output": "out", "arrival": "when"}, time_unit="datetime"),
    )
    for other in (load_table(str(gz)), load_table(str(parquet)), generic):
        assert np.array_equal(other.prompt_len, base.prompt_len)
        assert np.allclose(other.arrival_s, base.arrival_s, atol=1e-6)


def test_sharegpt_conversations_approximate_lengths(tmp_path):
    path = tmp_path / "sg.json"
    path.write_text(
        json.dumps(
            [
                {"conversations": [{"from": "human", "value": "x" * 400}, {"from": "gpt", "value": "y" * 80}]},
                {"conversations": [{"from": "gpt", "value": "orphan"}]},
                {
                    "conversations": [
                        {"from": "system", "value": "s"},
                        {"from": "human", "value": "q" * 8},
                        {"from": "gpt", "value": "a" * 4},
                    ]
                },
            ]
        )
    )
    t = load_table(str(path))
    assert t.prompt_len.tolist() == [100, 2] and t.output_len.tolist() == [20, 1]
    assert t.source["conversations_without_reply_excluded"] == 1


def test_window_sample_limit_and_time_scale():
    path = str(TRACES / "azure2023_format_sample.csv")
    base = load_table(path)
    window = load_table(path, options=WorkloadOptions(window=(10.0, 20.0)))
    inside = (base.arrival_s >= 10) & (base.arrival_s < 20)
    assert len(window) == inside.sum() and window.arrival_s[0] == 0
    assert np.array_equal(window.prompt_len, base.prompt_len[inside])
    sample = load_table(path, seed=5, options=WorkloadOptions(sample=50))
    assert len(sample) == 50 and np.all(np.diff(sample.row_id) > 0)
    assert np.array_equal(load_table(path, seed=5, options=WorkloadOptions(sample=50)).row_id, sample.row_id)
    assert len(load_table(path, options=WorkloadOptions(limit=7))) == 7
    slow = load_table(path, options=WorkloadOptions(time_scale=3.0))
    assert np.allclose(slow.arrival_s, base.arrival_s * 3)
    with pytest.raises(UserError, match="no requests arrive"):
        load_table(path, options=WorkloadOptions(window=(1e6, 2e6)))


def test_skip_bad_rows_counts_by_reason(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:00:00.1,10,3\n2023-11-16 18:00:00.2,-1,3\n2023-11-16 18:00:00.3,NaN,3\n"
        "bad time,5,5\n2023-11-16 18:00:00.4,5\n2023-11-16 18:00:00.5,7,0\n2023-11-16 18:00:00.6,8,2\n"
    )
    t = load_table(str(path), options=WorkloadOptions(skip_bad_rows=True))
    assert t.prompt_len.tolist() == [10, 8]
    assert t.source["bad_rows"] == {
        "length is negative": 1,
        "value is missing (empty or NaN)": 1,
        "timestamp cannot be parsed": 1,
        "wrong number of fields": 1,
        "length is zero": 1,
    }


def test_sort_by_time_fixes_disorder(tmp_path):
    path = tmp_path / "unsorted.csv"
    path.write_text("num_prefill_tokens,num_decode_tokens,arrived_at\n5,5,10\n6,6,2\n7,7,30\n")
    t = load_table(str(path), options=WorkloadOptions(sort_by_time=True))
    assert t.prompt_len.tolist() == [6, 5, 7] and t.arrival_s.tolist() == [0, 8, 28]


def test_sharegpt_lengths_from_a_local_tokenizer(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    vocab = {"[UNK]": 0, "hello": 1, "world": 2, "how": 3, "are": 4, "you": 5}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    (tmp_path / "tok").mkdir()
    tok.save(str(tmp_path / "tok" / "tokenizer.json"))
    path = tmp_path / "sg.json.gz"
    conversations = [{"conversations": [{"from": "human", "value": "hello how are you"},
                                        {"from": "gpt", "value": "hello world"}]}]
    path.write_bytes(gzip.compress(json.dumps(conversations).encode()))
    t = load_table(str(path), options=WorkloadOptions(tokenizer=str(tmp_path / "tok")))
    assert t.prompt_len.tolist() == [4] and t.output_len.tolist() == [2]
    assert t.source["length_source"].startswith("tokenizer ")


def test_generic_jsonl_and_parquet_with_a_column_mapping(tmp_path):
    rows = [{"t_ms": 1000 * i + 7, "in": 10 + i, "out": 3 + i} for i in range(5)]
    jsonl = tmp_path / "mine.jsonl.gz"
    jsonl.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    parquet = tmp_path / "mine.parquet"
    pd.DataFrame(rows).to_parquet(parquet)
    options = WorkloadOptions(columns={"prompt": "in", "output": "out", "arrival": "t_ms"}, time_unit="ms")
    for path in (jsonl, parquet):
        t = load_table(str(path), options=options)
        assert t.source["format"] == "generic"
        assert t.prompt_len.tolist() == [10, 11, 12, 13, 14] and t.arrival_s.tolist() == [0, 1, 2, 3, 4]


def test_newer_burstgpt_columns_and_float_seconds(tmp_path):
    path = tmp_path / "burst_new.csv"
    path.write_text(
        "Timestamp,Session ID,Model,Request tokens,Response tokens,Total tokens,Log Type,Elapsed time\n"
        "0.5,abc,ChatGPT,10,5,15,Conversation log,1.2\n1.25,abd,GPT-4,12,0,12,API log,0.3\n"
        "2.0,abc,ChatGPT,14,7,21,Conversation log,2.5\n"
    )
    t = load_table(str(path))
    assert t.source["format"] == "burstgpt" and t.source["failed_requests_excluded"] == 1
    assert t.prompt_len.tolist() == [10, 14] and t.arrival_s.tolist() == [0.0, 1.5]


def test_limit_alone_stops_reading_early(tmp_path, monkeypatch):
    from tokbench.workload.traces import csv_reader

    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 64 << 10)  # many blocks from a small file
    path = tmp_path / "long.csv"
    lines = ["num_prefill_tokens,num_decode_tokens,arrived_at"] + [
        f"{i % 50 + 1},{i % 7 + 1},{i / 10}" for i in range(300_000)
    ]
    path.write_text("\n".join(lines) + "\n")
    head = load_table(str(path), options=WorkloadOptions(limit=10))
    assert len(head) == 10 and head.source["rows_read"] < 300_000 and "read_stopped_early" in head.source
    full = load_table(str(path), options=WorkloadOptions(limit=10, sample=20))  # a sample needs every row
    assert full.source["rows_read"] == 300_000 and "read_stopped_early" not in full.source


def test_whole_second_rule_applies_only_to_rows_without_a_fraction(tmp_path):
    path = tmp_path / "a23.csv"
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:00:00.9000000,5,5\n2023-11-16 18:00:00.5000000,5,5\n"
    )
    with pytest.raises(UserError, match="row 2 .* timestamp is earlier than the row before"):
        load_table(str(path))
