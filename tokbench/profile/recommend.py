"""A plain-words strategy recommendation from a profile, with the numbers behind each reason.

The rules (documented in docs/profile.md):
- decode waste of static batches at B=32 >= 25%  -> outputs need iteration-level scheduling;
- prefill waste at B=32 >= 25%                    -> prompts need packed (unpadded) prefill;
- both -> tokenmaxxing; decode only -> continuous; prefill only -> ffd-packing; neither -> static-padded.
Knobs are `tokbench run` flags, each with the number it comes from (see the functions below).
"""

from __future__ import annotations

WASTE_LIMIT = 0.25
GOOD_PACKING = 0.90
BURSTY_CV = 1.5
PREFIX_CACHE_WORTH = 0.2
SEQS_RANGE = (8, 512)
ALIGN = 16


def _round_up(value: float, multiple: int = ALIGN) -> int:
    return int(-(-int(round(value)) // multiple) * multiple)


def _sequence_cap(profile: dict, strategy: str) -> tuple[int, str]:
    """max_num_seqs and why."""
    padding = profile["padding"]
    if strategy == "static-padded":  # the largest batch that still wastes little
        even = [int(b) for b, v in padding.items() if max(v.values()) < WASTE_LIMIT]
        cap = max(even, default=min(int(b) for b in padding))
        return cap, f"batches of {cap} waste under {WASTE_LIMIT:.0%} of slots"
    if profile.get("arrivals") is None:  # offline: all queued, batch as wide as allowed
        cap = min(profile["requests"], max(int(b) for b in padding))
        return cap, "offline: every request is queued at once, so batch as wide as memory allows"
    p99 = profile["concurrency"]["p99"]
    cap = int(min(SEQS_RANGE[1], max(SEQS_RANGE[0], round(p99))))
    return cap, f"the estimated p99 concurrency is {p99:.0f} requests in flight"


def _step_budget(profile: dict, seqs: int) -> tuple[int, int, str]:
    """tokenmaxxing's per-step token budget and prefill chunk: the smallest studied budget that
    holds every running decode plus the p90 prompt in one chunk; longer prompts are chunked."""
    p90 = profile["prompt"]["p90"]
    studied = sorted(int(b) for b in profile["packing"]["budgets"])
    fitting = [b for b in studied if b >= seqs + _round_up(p90)]
    budget = fitting[0] if fitting else studied[-1]
    chunk = max(ALIGN, (budget - seqs) // ALIGN * ALIGN)
    holds = "so 90% of prompts prefill in one step" if fitting else "so prompts above it prefill in chunks"
    why = (
        f"a {budget:,}-token step holds {seqs} decodes plus a {chunk:,}-token prefill chunk "
        f"(p90 prompt {p90:,.0f} tokens), {holds}"
    )
    return budget, chunk, why


def _bin_tokens(profile: dict) -> tuple[int, str]:
    """ffd-packing's bin: it must hold the largest request; among studied budgets that do, the
    smallest packing footprints at >= 90%, else the best packing one."""
    largest = _round_up(profile["total"]["max"])
    budgets = profile["packing"]["budgets"]
    holding = {int(b): v["footprint"]["efficiency"] for b, v in budgets.items() if int(b) >= largest}
    if not holding:
        return largest, (
            f"the largest request needs {largest:,} KV slots, more than any studied budget, so bins hold "
            f"{largest:,} (pass --budgets {largest} to see its packing efficiency)"
        )
    good = [b for b, e in holding.items() if e >= GOOD_PACKING]
    chosen = min(good) if good else max(holding, key=holding.get)
    return chosen, (
        f"{chosen:,}-token bins hold the largest request ({largest:,} slots) and pack prompt+output at "
        f"{holding[chosen]:.0%} (FFD)"
    )


def _notes(profile: dict) -> list[str]:
    notes = []
    arrivals = profile.get("arrivals")
    if arrivals is None:
        notes.append("offline workload: all requests are queued at t=0, so throughput is what matters")
    else:
        cv = arrivals["interarrival_cv"]
        if cv >= BURSTY_CV:
            notes.append(
                f"bursty arrivals (inter-arrival CV {cv:.1f}, Poisson = 1): the p99 concurrency "
                f"({profile['concurrency']['p99']:.0f}) is well above the mean ({profile['concurrency']['mean']:.1f}); "
                "size max_num_seqs and KV memory for the bursts"
            )
        idle = arrivals["idle_gaps"]
        if idle["fraction_of_time"] > 0.2:
            notes.append(
                f"{idle['fraction_of_time']:.0%} of the time lies in gaps of {idle['threshold_s']:g} s or more "
                "without an arrival: the server idles then, so latency matters more than peak throughput"
            )
    reuse = profile.get("prefix_reuse")
    if reuse and reuse["reused_token_fraction"] >= PREFIX_CACHE_WORTH:
        notes.append(
            f"{reuse['reused_token_fraction']:.0%} of prompt tokens repeat an earlier prefix: a paged KV cache "
            "with prefix caching would skip that prefill"
        )
    return notes


def recommend(profile: dict) -> dict:
    waste = profile["padding"].get("32") or next(iter(profile["padding"].values()))
    decode_bad, prefill_bad = waste["decode_waste"] >= WASTE_LIMIT, waste["prefill_waste"] >= WASTE_LIMIT
    strategy = {
        (True, True): "tokenmaxxing",
        (True, False): "continuous",
        (False, True): "ffd-packing",
        (False, False): "static-padded",
    }[(decode_bad, prefill_bad)]
    reasons = [
        f"static batches of 32 in arrival order would waste {waste['decode_waste']:.0%} of decode slots "
        f"(output p90/p10 = {profile['output']['p90_over_p10']:.1f}) and {waste['prefill_waste']:.0%} of prefill "
        f"slots (prompt p90/p10 = {profile['prompt']['p90_over_p10']:.1f}); {WASTE_LIMIT:.0%} is the limit"
    ]
    if decode_bad:
        reasons.append("outputs vary widely: a finished sequence must leave the batch at once (iteration-level)")
    if prefill_bad:
        reasons.append("prompts vary widely: pack them without padding rather than pad each to the longest")
    if not (decode_bad or prefill_bad):
        reasons.append("lengths are even: simple padded batches lose little")
    seqs, why = _sequence_cap(profile, strategy)
    knobs = {"max_num_seqs": seqs}
    reasons.append(f"--max-num-seqs {seqs}: {why}")
    if strategy == "tokenmaxxing":
        budget, chunk, why = _step_budget(profile, seqs)
        knobs.update(max_batch_tokens=budget, chunk_size=chunk)
        reasons.append(f"--max-batch-tokens {budget} --chunk-size {chunk}: {why}")
    elif strategy == "ffd-packing":
        bin_tokens, why = _bin_tokens(profile)
        knobs["bin_tokens"] = bin_tokens
        reasons.append(f"--bin-tokens {bin_tokens}: {why}")
    flags = " ".join([f"--strategy {strategy}"] + [f"--{k.replace('_', '-')} {v}" for k, v in knobs.items()])
    return {"strategy": strategy, "knobs": knobs, "flags": flags, "reasons": reasons, "notes": _notes(profile)}
