"""An independent profile of a raw trace file, in plain Python (csv, json, datetime, statistics,
bisect; no numpy, no tokbench), written from the definitions in docs/profile.md and docs/traces.md.

It reads each format the way its documentation describes it, then computes every statistic that
`tokbench profile --json` reports, in the same nesting, so a test can compare the two leaf by leaf.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from bisect import bisect_right
from collections import Counter
from datetime import datetime
from pathlib import Path

WINDOWS_S = (1.0, 10.0, 60.0, 600.0)
ROUND_BINS_S = (0.1, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 21600, 86400)
BATCH_SIZES = (8, 32, 128)
BUDGETS = (2048, 4096, 8192, 16384)
ALIGN = 16
BLOCK_TOKENS = 512


# ---------------------------------------------------------------- reading the raw files


def _azure_ns(text: str) -> tuple[int, bool]:
    """'2023-11-16 18:17:03.9799600' or '2024-05-10 00:00:00.009930+00:00' -> (ns since epoch,
    whether the row has a fraction of a second). The fraction is read digit by digit, exactly."""
    zone = ""
    for sign in ("+", "-"):
        cut = text.rfind(sign)
        if cut > 10:  # a zone, not the date's dashes
            text, zone = text[:cut], text[cut:]
            break
    whole, _, fraction = text.partition(".")
    base = datetime.fromisoformat(whole + (zone or "+00:00"))
    frac_ns = int((fraction + "000000000")[:9]) if fraction else 0
    return int(base.timestamp()) * 1_000_000_000 + frac_ns, bool(fraction)


def read_azure(path: Path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    stamps = [_azure_ns(r["TIMESTAMP"]) for r in rows]
    origin = stamps[0][0]
    times, latest = [], -math.inf
    for ns, has_fraction in stamps:
        t = (ns - origin) / 1e9
        # docs/traces.md: a whole-second row less than a second behind is placed at the latest time.
        if not has_fraction and latest - 1.0 < t < latest:
            t = latest
        latest = max(latest, t)
        times.append(t)
    return [int(r["ContextTokens"]) for r in rows], [int(r["GeneratedTokens"]) for r in rows], times, None


def read_burstgpt(path: Path):
    with open(path, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if int(r["Response tokens"]) != 0]  # failed: excluded
    t0 = float(rows[0]["Timestamp"])
    times = [float(r["Timestamp"]) - t0 for r in rows]
    return [int(r["Request tokens"]) for r in rows], [int(r["Response tokens"]) for r in rows], times, None


def read_mooncake(path: Path):
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    t0 = rows[0]["timestamp"]
    times = [(r["timestamp"] - t0) / 1000 for r in rows]
    blocks = [r["hash_ids"] for r in rows]
    return [r["input_length"] for r in rows], [r["output_length"] for r in rows], times, blocks


def read_lengths(path: Path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [int(r["num_prefill_tokens"]) for r in rows], [int(r["num_decode_tokens"]) for r in rows], None, None


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between order statistics (the 'inclusive' method)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def lengths(values: list[int]) -> dict:
    p = {q: percentile(values, q) for q in (10, 50, 90, 99)}
    mean = statistics.fmean(values)
    return {
        "count": len(values),
        "total": sum(values),
        "mean": mean,
        "min": min(values),
        "p10": p[10],
        "p50": p[50],
        "p90": p[90],
        "p99": p[99],
        "max": max(values),
        "cv": statistics.pstdev(values) / mean,
        "p90_over_p10": p[90] / p[10],
        "p99_over_p50": p[99] / p[50],
        "max_over_p50": max(values) / p[50],
    }


def significant(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


def clock_tick(gaps: list[float]) -> float:
    """docs/profile.md: with at least half the gaps 0, the median of the one-tick gaps (those under
    1.5x the smallest positive gap); with some gaps 0 and every positive gap a whole multiple of the
    smallest, the smallest; rounded to 4 significant digits."""
    positive = [g for g in gaps if g > 0]
    if not positive:
        return 0.0
    smallest = min(positive)
    zeros = len(gaps) - len(positive)
    if zeros >= len(gaps) / 2:
        return significant(statistics.median([g for g in positive if g < 1.5 * smallest]))
    if zeros and all(abs(g / smallest - round(g / smallest)) <= 0.01 for g in positive):
        return significant(smallest)
    return 0.0


def arrivals(times: list[float], idle_gap_s: float = 1.0) -> dict | None:
    duration = times[-1] - times[0]
    if len(times) < 2 or duration <= 0:
        return None
    rel = [t - times[0] for t in times]
    gaps = [b - a for a, b in zip(rel, rel[1:])]
    tick = clock_tick(gaps)
    peaks, dispersion = {}, {}
    for w in WINDOWS_S:
        key = f"{w:g}s"
        per_window = Counter(int(t // w) for t in rel)
        usable = w >= 10 * tick and duration >= w
        peaks[key] = max(per_window.values()) / w if usable else None
        whole = int(duration // w)
        if usable and whole >= 10:
            counts = [per_window.get(i, 0) for i in range(whole)]
            dispersion[key] = statistics.pvariance(counts) / statistics.fmean(counts)
        else:
            dispersion[key] = None
    threshold = max(idle_gap_s, 2.5 * tick)
    idle = [g for g in gaps if g >= threshold]
    coarse = tick > 0 and statistics.fmean(gaps) < 10 * tick
    bin_s = next((b for b in ROUND_BINS_S if b >= max(duration / 120, tick)), max(duration / 120, tick))
    per_bin = Counter(int(t // bin_s) for t in rel)
    return {
        "duration_s": duration,
        "timestamp_resolution_s": tick,
        "mean_rate_per_s": (len(rel) - 1) / duration,
        "peak_rate_per_s": peaks,
        "interarrival_mean_s": statistics.fmean(gaps),
        # Under 10 ticks per mean gap, the CV would measure the clock.
        "interarrival_cv": None if coarse else statistics.pstdev(gaps) / statistics.fmean(gaps),
        "zero_gap_fraction": sum(g == 0 for g in gaps) / len(gaps),
        "index_of_dispersion_per_tick": per_tick_dispersion(rel, tick) if coarse else None,
        "index_of_dispersion": dispersion,
        "idle_gaps": {
            "threshold_s": threshold,
            "count": len(idle),
            "total_s": sum(idle),
            "longest_s": max(gaps),
            "fraction_of_time": sum(idle) / duration,
        },
        "timeline": {
            "bin_s": float(bin_s),
            "rate_per_s": [per_bin.get(i, 0) / bin_s for i in range(int(rel[-1] // bin_s) + 1)],
        },
    }


def per_tick_dispersion(rel: list[float], tick: float) -> float | None:
    """Arrivals counted per clock reading (the nearest whole tick), variance / mean over the ticks
    from the first to the last; None without a tick or with fewer than 10 ticks."""
    if tick <= 0:
        return None
    per_tick = Counter(round(t / tick) for t in rel)
    ticks = max(per_tick) - min(per_tick) + 1
    if ticks < 10:
        return None
    counts = [per_tick.get(i, 0) for i in range(min(per_tick), max(per_tick) + 1)]
    return statistics.pvariance(counts) / statistics.fmean(counts)


def concurrency(times, prompts, outputs, tpot_ms=20.0, prefill_tps=10_000.0) -> dict:
    rel = [t - times[0] for t in times]
    ends = sorted(t + p / prefill_tps + o * tpot_ms / 1000 for t, p, o in zip(rel, prompts, outputs))
    in_flight = [bisect_right(rel, t) - bisect_right(ends, t) for t in rel]
    busy = sum(p / prefill_tps + o * tpot_ms / 1000 for p, o in zip(prompts, outputs))
    span = ends[-1] - rel[0]
    return {
        "model": {"tpot_ms": tpot_ms, "prefill_tokens_per_s": prefill_tps},
        "mean": busy / span if span > 0 else float(len(rel)),
        "p50": percentile(in_flight, 50),
        "p99": percentile(in_flight, 99),
        "max": max(in_flight),
    }


def prefix_reuse(prompts, hash_ids) -> dict | None:
    """Only blocks that hold at least one token of the (served) prompt count."""
    if hash_ids is None:
        return None
    seen, blocks, reused_blocks, reused_tokens, reusing_requests = set(), 0, 0, 0, 0
    for length, ids in zip(prompts, hash_ids):
        reused_here = False
        for position, block in enumerate(ids):
            if BLOCK_TOKENS * position >= length:
                break
            blocks += 1
            if block in seen:
                reused_blocks += 1
                reused_tokens += min(BLOCK_TOKENS, length - BLOCK_TOKENS * position)
                reused_here = True
            seen.add(block)
        reusing_requests += reused_here
    if blocks == 0:
        return None
    return {
        "block_tokens": BLOCK_TOKENS,
        "blocks": blocks,
        "unique_blocks": len(seen),
        "reused_block_fraction": reused_blocks / blocks,
        "reused_token_fraction": reused_tokens / sum(prompts),
        "requests_with_reuse_fraction": reusing_requests / len(prompts),
    }


def padded_waste(values: list[int], batch: int) -> float:
    real = slots = 0
    for start in range(0, len(values), batch):
        chunk = values[start : start + batch]
        real += sum(chunk)
        slots += max(chunk) * len(chunk)
    return 1 - real / slots


def first_fit_decreasing(sizes: list[int], capacity: int) -> dict:
    """FFD with a segment tree over the bins' free space (leftmost bin with room in O(log n))."""
    aligned = sorted(((s + ALIGN - 1) // ALIGN * ALIGN for s in sizes), reverse=True)
    leaves = 1
    while leaves < len(aligned):
        leaves *= 2
    tree = [capacity] * (2 * leaves)  # max free space under each node; unopened bins are empty
    loads, opened = [], 0
    for size in aligned:
        if size > capacity:  # its own bin, spanning ceil(size / capacity) budgets
            loads.append(size)
            continue
        node = 1
        while node < leaves:
            node = 2 * node if tree[2 * node] >= size else 2 * node + 1
        opened = max(opened, node - leaves + 1)
        tree[node] -= size
        node //= 2
        while node:
            tree[node] = max(tree[2 * node], tree[2 * node + 1])
            node //= 2
    loads += [capacity - tree[leaves + i] for i in range(opened)]
    slots = sum(max(1, math.ceil(load / capacity)) * capacity for load in loads)
    return {
        "efficiency": sum(sizes) / slots,
        "bins": len(loads),
        "oversized": sum(s > capacity for s in sizes),
    }


def fit(prompts, outputs, times, hash_ids, max_model_len: int, policy: str):
    """docs/workloads.md: requests longer than max_model_len are dropped, or clipped proportionally:
    prompt = max(1, floor(prompt * L / (prompt + output))) (at most L - 1), output = min(output, L - prompt)."""
    kept = {"prompts": [], "outputs": [], "times": [], "blocks": []}
    rewritten = 0
    for i, (p, o) in enumerate(zip(prompts, outputs)):
        if p + o > max_model_len:
            rewritten += 1
            if policy == "drop":
                continue
            new_p = min(max_model_len - 1, max(1, p * max_model_len // (p + o)))
            p, o = new_p, min(o, max_model_len - new_p)
        kept["prompts"].append(p)
        kept["outputs"].append(o)
        kept["times"].append(None if times is None else times[i])
        kept["blocks"].append(None if hash_ids is None else hash_ids[i])
    served_times = None if times is None else [t - kept["times"][0] for t in kept["times"]]
    summary = {
        "max_model_len": max_model_len,
        "over_length": policy,
        "requests": len(prompts),
        "rewritten": rewritten,
        "tokens": sum(prompts) + sum(outputs),
        "tokens_served": sum(kept["prompts"]) + sum(kept["outputs"]),
        "rewritten_fraction": rewritten / len(prompts),
        "trace": {"prompt": lengths(prompts), "output": lengths(outputs),
                  "total": lengths([p + o for p, o in zip(prompts, outputs)])},
    }
    summary["tokens_lost_fraction"] = 1 - summary["tokens_served"] / summary["tokens"]
    blocks = None if hash_ids is None else kept["blocks"]
    return summary, kept["prompts"], kept["outputs"], served_times, blocks


def kv(prompts, outputs, offline, concurrency_max, max_model_len, budget, max_num_seqs=128, block=16) -> dict:
    """docs/profile.md, "KV budget"."""
    totals = [p + o for p, o in zip(prompts, outputs)]

    def aligned(x):
        return math.ceil(math.ceil(x) / block) * block

    in_flight = min(max_num_seqs, len(prompts) if offline else concurrency_max)
    return {
        "budget_tokens": budget,
        "block_size": block,
        "continuous_slots": budget // max_model_len,
        "paged_sequences": {
            "mean": int(budget // statistics.fmean(aligned(t) for t in totals)),
            "p50": budget // aligned(percentile(totals, 50)),
            "p90": budget // aligned(percentile(totals, 90)),
            "max": budget // aligned(max(totals)),
        },
        "static_rows_p90": budget // math.ceil(percentile(prompts, 90) + percentile(outputs, 90)),
        "max_num_seqs": max_num_seqs,
        "in_flight": in_flight,
        "overcommit": in_flight * statistics.fmean(aligned(t) for t in totals) / budget,
    }


def profile(prompts, outputs, times, hash_ids, *, max_model_len: int = 2048, over_length: str = "clip",
            kv_budget: int | None = None) -> dict:
    """Everything `tokbench profile --json` reports except `source`, `target` and `recommendation`,
    for the trace as served at max_model_len (the default target: the tiny model's 2048, KV budget
    16 x max_model_len)."""
    offline = times is None
    fitted, prompts, outputs, times, hash_ids = fit(prompts, outputs, times, hash_ids, max_model_len, over_length)
    times = times or [0.0] * len(prompts)
    totals = [p + o for p, o in zip(prompts, outputs)]
    load = concurrency(times, prompts, outputs)
    return {
        "schema_version": 2,
        "fit": fitted,
        "requests": len(prompts),
        "prompt": lengths(prompts),
        "output": lengths(outputs),
        "total": lengths(totals),
        "arrivals": None if offline else arrivals(times),
        "concurrency": load,
        "prefix_reuse": prefix_reuse(prompts, hash_ids),
        "padding": {
            str(b): {"prefill_waste": padded_waste(prompts, b), "decode_waste": padded_waste(outputs, b)}
            for b in BATCH_SIZES
        },
        "packing": {
            "align": ALIGN,
            "sampled_items": None,
            "budgets": {
                str(b): {"prompt": first_fit_decreasing(prompts, b), "footprint": first_fit_decreasing(totals, b)}
                for b in BUDGETS
            },
        },
        "kv": kv(prompts, outputs, offline, load["max"], max_model_len, kv_budget or 16 * max_model_len),
    }
