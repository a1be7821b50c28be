"""A plain-words strategy recommendation from a profile, with the numbers behind each reason.

The rules (documented in docs/profile.md; thresholds in advice.py):
- decode waste of static batches at B=32 >= 25%  -> outputs need iteration-level scheduling;
- prefill waste at B=32 >= 25%                    -> prompts need packed (unpadded) prefill;
- both -> tokenmaxxing; decode only -> continuous; prefill only -> ffd-packing; neither -> static-padded;
- continuous becomes tokenmaxxing when paged KV holds >= 1.5x continuous's max_model_len slots and
  more requests than those slots are in flight (the KV budget, not the scheduler, is the limit).
Knobs are `tokbench run` flags, each with the number it comes from, and kept within the KV budget.
"""

from __future__ import annotations

from tokbench.profile import advice

GOOD_PACKING = 0.90
SEQS_RANGE = (8, 512)
ALIGN = 16


def _round_up(value: float, multiple: int = ALIGN) -> int:
    return int(-(-int(round(value)) // multiple) * multiple)


def choose_strategy(profile: dict) -> str:
    decode_bad, prefill_bad = advice.decode_waste_high(profile), advice.prefill_waste_high(profile)
    if advice.paged_kv_pays(profile):
        return "tokenmaxxing"
    return {
        (True, True): "tokenmaxxing",
        (True, False): "continuous",
        (False, True): "ffd-packing",
        (False, False): "static-padded",
    }[(decode_bad, prefill_bad)]


def _wanted_sequences(profile: dict, strategy: str) -> tuple[int, str]:
    """max_num_seqs from the traffic alone, and why."""
    padding = profile["padding"]
    if strategy == "static-padded":  # the largest batch that still wastes little
        even = [int(b) for b, v in padding.items() if max(v.values()) < advice.WASTE_LIMIT]
        cap = max(even, default=min(int(b) for b in padding))
        return cap, f"batches of {cap} waste under {advice.WASTE_LIMIT:.0%} of slots"
    if profile.get("arrivals") is None:  # offline: all queued, batch as wide as allowed
        cap = min(profile["requests"], max(int(b) for b in padding))
        return cap, "offline: every request is queued at once, so batch as wide as memory allows"
    p99 = profile["concurrency"]["p99"]
    cap = int(min(SEQS_RANGE[1], max(SEQS_RANGE[0], round(p99))))
    return cap, f"the estimated p99 concurrency is {p99:.0f} requests in flight"


def _kv_room(profile: dict, strategy: str) -> tuple[int, str] | None:
    """How many sequences the KV budget holds for this strategy (None: it does not bound them)."""
    kv = profile["kv"]
    if strategy == "continuous":
        return kv["continuous_slots"], f"the KV budget holds {kv['continuous_slots']} slots of max_model_len"
    if strategy == "tokenmaxxing":
        return kv["paged_sequences"]["mean"], (
            f"the KV budget holds {kv['paged_sequences']['mean']} requests of the mean length, so running ones "
            "are rarely preempted"
        )
    if strategy == "static-padded":
        return kv["static_rows_p90"], f"the KV budget holds {kv['static_rows_p90']} padded rows of p90 prompt + p90 output"
    return None


def _sequence_cap(profile: dict, strategy: str) -> tuple[int, str]:
    """max_num_seqs and why: what the traffic wants, within what the KV budget holds."""
    given = profile["target"]["max_num_seqs"]
    if given:
        return given, "given to profile"
    wanted, why = _wanted_sequences(profile, strategy)
    room = _kv_room(profile, strategy)
    if room is not None and 1 <= room[0] < wanted:
        return room[0], f"{why}, but {room[1]}"
    return wanted, why


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
    """ffd-packing's bin: it must hold the largest request; among studied budgets that do (and fit
    the KV budget), the smallest packing footprints at >= 90%, else the best packing one."""
    largest = _round_up(profile["total"]["max"])
    kv_budget = profile["kv"]["budget_tokens"]
    budgets = profile["packing"]["budgets"]
    holding = {
        int(b): v["footprint"]["efficiency"] for b, v in budgets.items() if largest <= int(b) <= kv_budget
    }
    if not holding:
        chosen = min(largest, kv_budget)
        return chosen, (
            f"the largest request needs {largest:,} KV slots, which no studied budget within the KV budget "
            f"({kv_budget:,}) holds, so bins hold {chosen:,} (pass --budgets {chosen} to see its packing efficiency)"
        )
    good = [b for b, e in holding.items() if e >= GOOD_PACKING]
    chosen = min(good) if good else max(holding, key=holding.get)
    return chosen, (
        f"{chosen:,}-token bins hold the largest request ({largest:,} slots) and pack prompt+output at "
        f"{holding[chosen]:.0%} (FFD)"
    )


def recommend(profile: dict) -> dict:
    strategy = choose_strategy(profile)
    reasons = [text for sentence in advice.REASONS if (text := sentence(profile))]
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
    notes = [text for sentence in advice.NOTES if (text := sentence(profile))]
    return {"strategy": strategy, "knobs": knobs, "flags": flags, "reasons": reasons, "notes": notes}
