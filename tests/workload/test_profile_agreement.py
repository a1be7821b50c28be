"""Bar: on real production traces, every statistic `tokbench profile --json` reports agrees within
0.5% with an independent recomputation from the raw file in plain Python (csv/json/statistics,
percentiles by linear interpolation, rates from timestamps, a segment-tree first-fit)."""

import csv
import json
import math
import statistics
from bisect import bisect_right
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

TRACES = Path(__file__).resolve().parents[3] / "shared" / "traces"
pytestmark = pytest.mark.skipif(not TRACES.is_dir(), reason="../shared/traces not available")
TOLERANCE = 0.005


def close(ours, theirs):
    return math.isclose(ours, theirs, rel_tol=TOLERANCE, abs_tol=1e-9)


def cli_profile(path: Path) -> dict:
    import tokbench.cli.profile_cmd  # noqa: F401  (registers the command)
    from tokbench.cli.app import app

    result = CliRunner().invoke(app, ["profile", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def raw_mooncake():
    rows = [json.loads(line) for line in (TRACES / "mooncake_conversation_trace.jsonl").read_text().splitlines()]
    return (
        [r["input_length"] for r in rows],
        [r["output_length"] for r in rows],
        [r["timestamp"] / 1000 for r in rows],
        [r["hash_ids"] for r in rows],
    )


def raw_sharegpt():
    with open(TRACES / "sharegpt_lengths.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [int(r["num_prefill_tokens"]) for r in rows], [int(r["num_decode_tokens"]) for r in rows]


def check_lengths(ours: dict, values: list[int]):
    cuts = statistics.quantiles(values, n=100, method="inclusive")  # linear interpolation
    p = {q: cuts[q - 1] for q in (10, 50, 90, 99)}
    expected = {
        "count": len(values),
        "total": sum(values),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
        "p10": p[10],
        "p50": p[50],
        "p90": p[90],
        "p99": p[99],
        "cv": statistics.pstdev(values) / statistics.fmean(values),
        "p90_over_p10": p[90] / p[10],
        "p99_over_p50": p[99] / p[50],
        "max_over_p50": max(values) / p[50],
    }
    assert set(ours) == set(expected)
    for key, value in expected.items():
        assert close(ours[key], value), (key, ours[key], value)


def padded_waste(values, batch):
    real = slots = 0
    for start in range(0, len(values), batch):
        chunk = values[start : start + batch]
        real += sum(chunk)
        slots += max(chunk) * len(chunk)
    return 1 - real / slots


def check_padding(ours: dict, prompts, outputs):
    for batch, waste in ours.items():
        assert close(waste["prefill_waste"], padded_waste(prompts, int(batch)))
        assert close(waste["decode_waste"], padded_waste(outputs, int(batch)))


def first_fit_decreasing_efficiency(sizes, capacity, align=16):
    """Segment tree over bins' free space: find the leftmost bin with room in O(log n)."""
    aligned = sorted(((s + align - 1) // align * align for s in sizes), reverse=True)
    leaves = 1
    while leaves < len(aligned):
        leaves *= 2
    tree = [0] * (2 * leaves)  # max free space in each subtree; unopened bins have capacity
    for i in range(leaves):
        tree[leaves + i] = capacity
    for i in range(leaves - 1, 0, -1):
        tree[i] = max(tree[2 * i], tree[2 * i + 1])
    loads, opened = [], 0
    for size in aligned:
        if size > capacity:
            loads.append(size)
            continue
        node = 1
        while node < leaves:
            node = 2 * node if tree[2 * node] >= size else 2 * node + 1
        index = node - leaves
        if index >= opened:
            opened = index + 1
        tree[node] -= size
        node //= 2
        while node:
            tree[node] = max(tree[2 * node], tree[2 * node + 1])
            node //= 2
    loads += [capacity - tree[leaves + i] for i in range(opened)]
    slots = sum(max(1, math.ceil(load / capacity)) * capacity for load in loads)
    return sum(sizes) / slots


def check_packing(ours: dict, prompts):
    for budget, value in ours["budgets"].items():
        assert close(value["efficiency"], first_fit_decreasing_efficiency(prompts, int(budget))), budget


def test_mooncake_profile_agrees_with_raw_file():
    prompts, outputs, times, hash_ids = raw_mooncake()
    profile = cli_profile(TRACES / "mooncake_conversation_trace.jsonl")
    assert profile["requests"] == len(prompts)
    check_lengths(profile["prompt"], prompts)
    check_lengths(profile["output"], outputs)
    check_lengths(profile["total"], [a + b for a, b in zip(prompts, outputs)])
    check_padding(profile["padding"], prompts, outputs)
    check_packing(profile["packing"], prompts)

    arrivals = profile["arrivals"]
    start = times[0]
    rel = [t - start for t in times]
    duration = max(rel)
    gaps = [b - a for a, b in zip(rel, rel[1:])]
    assert close(arrivals["duration_s"], duration)
    assert close(arrivals["mean_rate_per_s"], (len(rel) - 1) / duration)
    assert close(arrivals["interarrival_cv"], statistics.pstdev(gaps) / statistics.fmean(gaps))
    for window, ours in arrivals["index_of_dispersion"].items():
        w = float(window[:-1])
        per_window = Counter(int(t // w) for t in rel)
        counts = [per_window.get(i, 0) for i in range(int(duration // w))]
        assert close(ours, statistics.pvariance(counts) / statistics.fmean(counts)), window
    for window, ours in arrivals["peak_rate_per_s"].items():
        w = float(window[:-1])
        assert close(ours, max(Counter(int(t // w) for t in rel).values()) / w)

    seen, blocks, reused_blocks, reused_tokens = set(), 0, 0, 0
    for length, ids in zip(prompts, hash_ids):
        for position, block in enumerate(ids):
            blocks += 1
            if block in seen:
                reused_blocks += 1
                reused_tokens += min(512, max(0, length - 512 * position))
            seen.add(block)
    reuse = profile["prefix_reuse"]
    assert reuse["blocks"] == blocks and reuse["unique_blocks"] == len(seen)
    assert close(reuse["reused_block_fraction"], reused_blocks / blocks)
    assert close(reuse["reused_token_fraction"], reused_tokens / sum(prompts))

    model = profile["concurrency"]["model"]
    ends = sorted(
        t + p / model["prefill_tokens_per_s"] + o * model["tpot_ms"] / 1000 for t, p, o in zip(rel, prompts, outputs)
    )
    in_flight = [bisect_right(rel, t) - bisect_right(ends, t) for t in rel]
    assert profile["concurrency"]["max"] == max(in_flight)
    assert close(profile["concurrency"]["p99"], statistics.quantiles(in_flight, n=100, method="inclusive")[98])
    busy = sum(e - s for s, e in zip(rel, sorted(ends)))  # total service time (order does not matter)
    assert close(profile["concurrency"]["mean"], busy / (max(ends) - rel[0]))


def test_sharegpt_lengths_profile_agrees_with_raw_file():
    prompts, outputs = raw_sharegpt()
    profile = cli_profile(TRACES / "sharegpt_lengths.csv")
    assert profile["requests"] == len(prompts) and profile["arrivals"] is None
    check_lengths(profile["prompt"], prompts)
    check_lengths(profile["output"], outputs)
    check_padding(profile["padding"], prompts, outputs)
    check_packing(profile["packing"], prompts)
