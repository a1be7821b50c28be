"""Every summary number of a real `tokbench run` recomputes from the written tables to within 0.1%.

The recomputation here is written independently of tokbench/metrics (plain loops and numpy over
the files on disk), following the definitions in docs/metrics.md.
"""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

STRATEGIES = ("static-padded", "continuous", "continuous-paged", "ffd-packing", "tokenmaxxing-nochunk", "tokenmaxxing")
MAX_NUM_SEQS = 5
MAX_BATCH_TOKENS = 96


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    # A budget small enough that the packed strategies fill it and static-padded's rectangles exceed it.
    cmd = [sys.executable, "-m", "tokbench", "run", "--workload", "tiny", "--out", str(out), "--threads", "2",
           "--max-num-seqs", str(MAX_NUM_SEQS), "--max-batch-tokens", str(MAX_BATCH_TOKENS),
           "--slo", "ttft_ms=400,tpot_ms=60", "--no-warmup"]
    for s in STRATEGIES:
        cmd += ["--strategy", s]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "results.json").read_text())
    fmt = doc["tables"]["format"]
    read = pd.read_parquet if fmt == "parquet" else pd.read_csv
    tables = {name: read(out / doc["tables"][name]) for name in ("requests", "steps", "tokens")}
    return doc, tables


def _pct(values, q):
    """Linear-interpolation percentile, by hand."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _recompute(doc, req, steps, tok) -> dict:
    cost, peaks, slo = doc["config"]["cost_model"], doc["config"]["peaks"], doc["config"]["slo"]
    s = {}
    duration = max(req["finish_s"])
    s["duration_s"] = duration
    s["completed"] = len(req)
    s["request_throughput"] = len(req) / duration
    s["output_throughput"] = sum(req["output_len"]) / duration
    s["total_token_throughput"] = (sum(req["output_len"]) + sum(req["prompt_len"])) / duration
    per_request = {"ttft": [], "tpot": [], "e2el": []}
    good = 0
    for r in req.itertuples():
        ttft, e2el = r.first_token_s - r.arrival_s, r.finish_s - r.arrival_s
        tpot = (e2el - ttft) / (r.output_len - 1) if r.output_len > 1 else None
        per_request["ttft"].append(ttft)
        per_request["e2el"].append(e2el)
        if tpot is not None:
            per_request["tpot"].append(tpot)
        good += ttft * 1000 <= slo["ttft_ms"] and (tpot is None or tpot * 1000 <= slo["tpot_ms"])
    gaps = []
    for _, g in tok.groupby("request_id"):
        times = list(g.sort_values("index")["time_s"])
        gaps += [b - a for a, b in zip(times, times[1:])]
    per_request["itl"] = gaps
    for name, values in per_request.items():
        ms = [1000 * v for v in values]
        s[f"mean_{name}_ms"] = sum(ms) / len(ms)
        s[f"median_{name}_ms"] = _pct(ms, 50)
        s[f"p90_{name}_ms"] = _pct(ms, 90)
        s[f"p99_{name}_ms"] = _pct(ms, 99)
    s["good_requests"] = good
    s["request_goodput"] = good / duration

    prefill_time = decode_time = 0.0
    for st in steps.itertuples():
        prefill_time += st.duration_s * st.prefill_tokens / st.real_tokens
        decode_time += st.duration_s * st.decode_tokens / st.real_tokens
    s["prefill_throughput"] = steps["prefill_tokens"].sum() / prefill_time
    s["decode_throughput"] = steps["decode_tokens"].sum() / decode_time
    s["padding_ratio"] = steps["padded_tokens"].sum() / (steps["real_tokens"] + steps["padded_tokens"]).sum()
    # The run's max_batch_tokens, the same for every strategy; tokens beyond it count once.
    budget = doc["config"]["scheduler"]["max_batch_tokens"]
    assert (steps["token_budget"] == budget).all()
    s["token_budget_utilization"] = sum(min(n, budget) for n in steps["real_tokens"]) / (budget * len(steps))
    w = steps["duration_s"].to_numpy()
    reserved, used = steps["kv_reserved_tokens"].to_numpy(), steps["kv_used_tokens"].to_numpy()
    s["kv_fragmentation"] = ((reserved - used) * w).sum() / (reserved * w).sum()
    s["kv_utilization"] = (used * w).sum() / (steps["kv_capacity_tokens"].to_numpy() * w).sum()
    s["peak_kv_reserved_tokens"] = reserved.max()
    s["peak_kv_memory_bytes"] = reserved.max() * cost["kv_bytes_per_token"]
    s["preemptions"] = steps["preemptions"].sum()
    # Each request computes KV for its prompt and all its outputs but the last; anything beyond was
    # computed again after a preemption dropped it.
    minimal = sum(r.prompt_len + r.output_len - 1 for r in req.itertuples())
    s["recomputed_tokens"] = steps["real_tokens"].sum() - minimal
    s["recompute_share"] = s["recomputed_tokens"] / steps["real_tokens"].sum()
    s["num_steps"] = len(steps)
    s["mean_batch_size"] = steps["batch_size"].mean()
    s["scheduler_overhead"] = (steps["schedule_s"].sum() + steps["prepare_s"].sum()) / (steps["schedule_s"].sum() + w.sum())
    dec = steps[steps["kind"] == "decode"]
    read = (cost["weight_bytes"] + dec["kv_read_tokens"] * cost["kv_bytes_per_token"]).sum()
    s["mbu"] = read / (dec["duration_s"].sum() * peaks["peak_bandwidth"])
    flops = (2 * cost["body_params"] * steps["real_tokens"] + 2 * cost["head_params"] * steps["sampled_tokens"]
             + cost["attn_flops_per_pair"] * steps["attention_pairs"]).sum()
    s["mfu"] = flops / (w.sum() * peaks["peak_flops"])
    return s


@pytest.mark.parametrize("name", STRATEGIES)
def test_every_summary_number_recomputes_from_the_tables(results, name):
    doc, tables = results
    run = next(r for r in doc["runs"] if r["name"] == name)
    req, steps, tok = (tables[t][tables[t]["run"] == name] for t in ("requests", "steps", "tokens"))
    expected = _recompute(doc, req, steps, tok)
    summary = run["summary"]
    missing = set(summary) - set(expected) - {"total_input_tokens", "total_output_tokens"}
    assert not missing, f"summary metrics without an independent recomputation: {missing}"
    for key, want in expected.items():
        got = summary[key]
        if want is None or (isinstance(want, float) and math.isnan(want)):
            assert got is None, key
            continue
        assert got == pytest.approx(float(want), rel=1e-3, abs=1e-9), key


def test_static_padding_is_exactly_what_its_batches_imply(results):
    """Batches of MAX_NUM_SEQS in arrival order: the prefill rectangle is rows x longest prompt,
    then one slot per row per decode step until the batch's longest output is done."""
    doc, tables = results
    req = tables["requests"][tables["requests"]["run"] == "static-padded"].sort_values("request_id")
    steps = tables["steps"][tables["steps"]["run"] == "static-padded"]
    prompts, outputs = list(req["prompt_len"]), list(req["output_len"])
    padded = real = 0
    for lo in range(0, len(prompts), MAX_NUM_SEQS):
        p, o = prompts[lo : lo + MAX_NUM_SEQS], outputs[lo : lo + MAX_NUM_SEQS]
        padded += len(p) * max(p) - sum(p)
        real += sum(p)
        for j in range(1, max(o)):  # decode step j computes output token j for rows still running
            live = sum(1 for n in o if n > j)
            padded += len(o) - live
            real += live
    assert steps["padded_tokens"].sum() == padded
    assert steps["real_tokens"].sum() == real
    summary = next(r for r in doc["runs"] if r["name"] == "static-padded")["summary"]
    assert summary["padding_ratio"] == pytest.approx(padded / (padded + real), rel=1e-12)
    assert padded > 0


def test_packed_strategies_compute_no_padding_and_end_with_empty_kv(results):
    doc, tables = results
    for run in doc["runs"]:
        steps = tables["steps"][tables["steps"]["run"] == run["name"]]
        assert set(steps["round"]) == {0} and run["rounds"] == [run["summary"]]
        if run["name"] != "static-padded":
            assert run["summary"]["padding_ratio"] == 0.0
            assert steps["padded_tokens"].sum() == 0
        assert run["summary"]["completed"] == doc["workload"]["num_requests"]
    frag = {r["name"]: r["summary"]["kv_fragmentation"] for r in doc["runs"]}
    assert np.isfinite(list(frag.values())).all()
    # Continuous reserves max_model_len (2048) per slot for requests of at most ~50 tokens.
    assert frag["continuous"] > 0.95 and frag["tokenmaxxing"] < frag["continuous"]
