"""A plain-words strategy recommendation from a profile, with the numbers behind each reason.

The rules (documented in docs/profile.md):
- decode waste of static batches at B=32 >= 25%  -> outputs need iteration-level scheduling;
- prefill waste at B=32 >= 25%                    -> prompts need packed (unpadded) prefill;
- both -> tokenmaxxing; decode only -> continuous; prefill only -> ffd-packing; neither -> static-padded.
Knobs: the token budget is the smallest budget packing prompts at >= 90% that also holds the
p99 prompt; the sequence cap follows the p99 concurrency estimate (online) or the batch size with
the least waste (offline).
"""

from __future__ import annotations

WASTE_LIMIT = 0.25
GOOD_PACKING = 0.90
BURSTY_CV = 1.5
PREFIX_CACHE_WORTH = 0.2


def _token_budget(profile: dict) -> int:
    budgets = profile["packing"]["budgets"]
    p99 = profile["prompt"]["p99"]
    good = [int(b) for b, v in budgets.items() if v["efficiency"] >= GOOD_PACKING and int(b) >= p99]
    if good:
        return min(good)
    fitting = [int(b) for b in budgets if int(b) >= p99]
    return min(fitting) if fitting else max(int(b) for b in budgets)


def _sequence_cap(profile: dict, strategy: str) -> int:
    padding = profile["padding"]
    if strategy == "static-padded":  # the largest batch that still wastes little
        even = [int(b) for b, v in padding.items() if max(v.values()) < WASTE_LIMIT]
        return max(even, default=min(int(b) for b in padding))
    if profile.get("arrivals") is None:  # offline: all queued, batch as wide as allowed
        return min(profile["requests"], max(int(b) for b in padding))
    return int(min(512, max(8, round(profile["concurrency"]["p99"]))))


def recommend(profile: dict) -> dict:
    waste = profile["padding"].get("32") or next(iter(profile["padding"].values()))
    decode_bad, prefill_bad = waste["decode_waste"] >= WASTE_LIMIT, waste["prefill_waste"] >= WASTE_LIMIT
    reasons = [
        f"static batches of 32 would waste {waste['decode_waste']:.0%} of decode slots "
        f"(output p90/p10 = {profile['output']['p90_over_p10']:.1f}) and {waste['prefill_waste']:.0%} of prefill "
        f"slots (prompt p90/p10 = {profile['prompt']['p90_over_p10']:.1f})"
    ]
    strategy = {
        (True, True): "tokenmaxxing",
        (True, False): "continuous",
        (False, True): "ffd-packing",
        (False, False): "static-padded",
    }[(decode_bad, prefill_bad)]
    if decode_bad:
        reasons.append("outputs vary widely: finished sequences must leave the batch at once (iteration-level)")
    if prefill_bad:
        reasons.append("prompts vary widely: pack them without padding rather than pad to the longest")
    if not (decode_bad or prefill_bad):
        reasons.append(f"lengths are even (waste < {WASTE_LIMIT:.0%}): simple padded batches lose little")
    budget = _token_budget(profile)
    knobs = {"max_num_seqs": _sequence_cap(profile, strategy)}
    if prefill_bad or decode_bad:
        efficiency = profile["packing"]["budgets"][str(budget)]["efficiency"]
        p99 = profile["prompt"]["p99"]
        holds = (
            "holds the p99 prompt" if budget >= p99 else "is below the p99 prompt, so long prompts prefill in chunks"
        )
        knobs["token_budget"] = budget
        reasons.append(
            f"a {budget}-token budget packs prompts at {efficiency:.0%} (FFD) and {holds} (p99 prompt {p99:.0f} tokens)"
        )
    notes = []
    arrivals = profile.get("arrivals")
    if arrivals is None:
        notes.append("offline workload: all requests are queued at t=0, so throughput is what matters")
    else:
        cv = arrivals["interarrival_cv"]
        if cv >= BURSTY_CV:
            notes.append(
                f"bursty arrivals (inter-arrival CV {cv:.1f}): keep headroom above the mean concurrency "
                f"({profile['concurrency']['mean']:.1f}); max_num_seqs follows the p99 "
                f"({profile['concurrency']['p99']:.0f})"
            )
        if arrivals["idle_gaps"]["fraction_of_time"] > 0.2:
            notes.append(
                f"{arrivals['idle_gaps']['fraction_of_time']:.0%} of the time has no arrival for "
                f"{arrivals['idle_gaps']['threshold_s']:g}s or more: latency, not throughput, is at stake there"
            )
    reuse = profile.get("prefix_reuse")
    if reuse and reuse["reused_token_fraction"] >= PREFIX_CACHE_WORTH:
        notes.append(
            f"{reuse['reused_token_fraction']:.0%} of prompt tokens repeat an earlier prefix: "
            "use a paged KV cache with prefix caching"
        )
    return {"strategy": strategy, "knobs": knobs, "reasons": reasons, "notes": notes}
