"""Every advisory sentence `profile` prints, each generated from the figure it cites and compared
with a threshold documented in docs/profile.md ("Advice"). A sentence that does not apply is None.

The thresholds live here and nowhere else: the strategy choice in recommend.py reads the same
predicates, so a sentence and the decision it explains cannot disagree.
"""

from __future__ import annotations

from tokbench.profile.arrival_stats import MIN_TICKS_PER_WINDOW, MIN_WINDOWS
from tokbench.workload.notes import REWRITTEN_WARN_SHARE

WASTE_LIMIT = 0.25  # static padding waste at batch 32 that calls for another strategy
WIDE_SPREAD = 4.0  # p90/p10 of lengths: neighbours in a batch routinely differ fourfold
BURSTY_CV = 1.5  # inter-arrival CV (Poisson = 1)
BURSTY_DISPERSION = BURSTY_CV**2  # index of dispersion per tick; a renewal process's tends to CV^2
IDLE_SHARE = 0.2  # share of the time in idle gaps
PREFIX_CACHE_WORTH = 0.2  # share of prompt tokens that repeat an earlier prefix
PAGED_GAIN = 1.5  # paged KV must hold this many times continuous's slots to be worth choosing
OVERCOMMIT_LIMIT = 1.0  # KV wanted by the sequences in flight, over the budget


def batch_size(profile: dict) -> str:
    """The batch size the waste rule reads: 32, or the first one studied (--batch-sizes)."""
    return "32" if "32" in profile["padding"] else next(iter(profile["padding"]))


def batch_waste(profile: dict) -> dict:
    return profile["padding"][batch_size(profile)]


def decode_waste_high(profile: dict) -> bool:
    return batch_waste(profile)["decode_waste"] >= WASTE_LIMIT


def prefill_waste_high(profile: dict) -> bool:
    return batch_waste(profile)["prefill_waste"] >= WASTE_LIMIT


def paged_gain_ratio(profile: dict) -> float:
    kv = profile["kv"]
    slots = kv["continuous_slots"]
    return float("inf") if slots == 0 else kv["paged_sequences"]["p50"] / slots


def paged_kv_pays(profile: dict) -> bool:
    """Where continuous would be chosen (decode waste high, prefill waste low): paged KV holds
    PAGED_GAIN x continuous's slots, and more requests than those slots are in flight."""
    kv = profile["kv"]
    return (
        decode_waste_high(profile)
        and not prefill_waste_high(profile)
        and paged_gain_ratio(profile) >= PAGED_GAIN
        and kv["in_flight"] > kv["continuous_slots"]
    )


# ---------------------------------------------------------------- lengths and padding


def static_waste(profile: dict) -> str:
    waste = batch_waste(profile)
    return (
        f"static batches of {batch_size(profile)} in arrival order would waste {waste['decode_waste']:.1%} of decode slots and "
        f"{waste['prefill_waste']:.1%} of prefill slots ({WASTE_LIMIT:.0%} is the limit)"
    )


def _waste(profile: dict, kind: str, consequence: str) -> str | None:
    waste = batch_waste(profile)[f"{kind}_waste"]
    if waste < WASTE_LIMIT:
        return None
    return f"{kind} waste {waste:.1%} >= {WASTE_LIMIT:.0%}: {consequence}"


def decode_waste(profile: dict) -> str | None:
    return _waste(profile, "decode", "a finished sequence must leave the batch at once (iteration-level scheduling)")


def prefill_waste(profile: dict) -> str | None:
    return _waste(profile, "prefill", "pack prompts without padding rather than pad each to the longest")


def even_lengths(profile: dict) -> str | None:
    if decode_waste_high(profile) or prefill_waste_high(profile):
        return None
    return f"static batches waste under {WASTE_LIMIT:.0%} of prefill and of decode slots: simple padded batches lose little"


def _spread(profile: dict, name: str, plural: str) -> str | None:
    ratio = profile[name]["p90_over_p10"]
    if ratio < WIDE_SPREAD:
        return None
    return f"{plural} vary widely: p90/p10 = {ratio:.1f} (>= {WIDE_SPREAD:g}), so neighbours in a batch routinely differ {WIDE_SPREAD:g}-fold"


def prompt_spread(profile: dict) -> str | None:
    return _spread(profile, "prompt", "prompts")


def output_spread(profile: dict) -> str | None:
    return _spread(profile, "output", "outputs")


# ---------------------------------------------------------------- what the run serves and its KV


def served_not_trace(profile: dict) -> str | None:
    fit = profile["fit"]
    if fit["rewritten_fraction"] <= REWRITTEN_WARN_SHARE:
        return None
    verb = "dropped" if fit["over_length"] == "drop" else "clipped"
    return (
        f"this advice is for what the run serves, not for the trace: {fit['rewritten']:,} of {fit['requests']:,} "
        f"requests ({fit['rewritten_fraction']:.0%}, > {REWRITTEN_WARN_SHARE:.0%}) were {verb} to fit max_model_len "
        f"{fit['max_model_len']:,} and {fit['tokens_lost_fraction']:.0%} of the tokens are not served; the trace's "
        f"median request is {fit['trace']['total']['p50']:,.0f} tokens, the served one {profile['total']['p50']:,.0f}"
    )


def kv_fit(profile: dict) -> str:
    kv, target = profile["kv"], profile["target"]
    paged = kv["paged_sequences"]
    return (
        f"KV budget {kv['budget_tokens']:,} token slots ({target['kv_budget_source']}): {paged['p50']:,} requests of "
        f"the median length fit at once, {paged['p90']:,} of the p90 length; continuous reserves max_model_len "
        f"({target['max_model_len']:,}) per slot, so it holds {kv['continuous_slots']:,}"
    )


def paged_gain(profile: dict) -> str | None:
    if not paged_kv_pays(profile):
        return None
    kv = profile["kv"]
    return (
        f"paged KV holds {kv['paged_sequences']['p50']:,} median-length requests where continuous's max_model_len "
        f"slots hold {kv['continuous_slots']:,} ({paged_gain_ratio(profile):.1f}x >= {PAGED_GAIN:g}x), and up to "
        f"{kv['in_flight']:,} are in flight: on-demand (paged) KV serves more of them at once"
    )


def overcommit(profile: dict) -> str | None:
    kv = profile["kv"]
    if kv["overcommit"] <= OVERCOMMIT_LIMIT:
        return None
    default = "" if profile["target"]["max_num_seqs"] else " (run's default)"
    why = "every request is queued at t=0" if profile["arrivals"] is None else "the concurrency estimate's peak"
    return (
        f"with --max-num-seqs {kv['max_num_seqs']}{default}, up to {kv['in_flight']:,} requests run at once ({why}) and "
        f"their KV grows to {kv['overcommit']:.1f}x the budget (> {OVERCOMMIT_LIMIT:g}x): tokenmaxxing admits a "
        f"request only while its whole prompt fits (its admission knob), so about "
        f"{max(1, kv['paged_sequences']['mean'])} run at once (what fits at the mean length) and the rest queue; "
        "with --knob admission=chunk it would admit them all and preempt and recompute prompts as they grow. "
        "Raise --kv-budget-tokens to serve more at once"
    )


# ---------------------------------------------------------------- arrivals and prefixes


def offline(profile: dict) -> str | None:
    if profile["arrivals"] is not None:
        return None
    return "offline workload: all requests are queued at t=0, so throughput is what matters"


def coarse_clock(profile: dict) -> str | None:
    arrivals = profile["arrivals"]
    if arrivals is None or arrivals["interarrival_cv"] is not None:
        return None
    tick = arrivals["timestamp_resolution_s"]
    text = (
        f"timestamps tick every {tick:g} s and {arrivals['zero_gap_fraction']:.0%} of gaps are 0: the mean gap "
        f"({arrivals['interarrival_mean_s']:.3g} s) is under {MIN_TICKS_PER_WINDOW} ticks, so an inter-arrival CV "
        "would measure the clock"
    )
    if arrivals["index_of_dispersion_per_tick"] is None:
        ticks = int(round(arrivals["duration_s"] / tick)) + 1
        return text + f"; the {arrivals['duration_s']:g} s span holds {ticks} ticks ({MIN_WINDOWS} needed): burstiness cannot be measured"
    return text + f"; burstiness is measured per tick instead (index of dispersion {arrivals['index_of_dispersion_per_tick']:.2f}, Poisson = 1)"


def bursty(profile: dict) -> str | None:
    arrivals = profile["arrivals"]
    if arrivals is None:
        return None
    cv, per_tick = arrivals["interarrival_cv"], arrivals["index_of_dispersion_per_tick"]
    if cv is not None and cv >= BURSTY_CV:
        figure = f"inter-arrival CV {cv:.2f} >= {BURSTY_CV:g}"
    elif cv is None and per_tick is not None and per_tick >= BURSTY_DISPERSION:
        figure = f"index of dispersion per {arrivals['timestamp_resolution_s']:g} s tick {per_tick:.2f} >= {BURSTY_DISPERSION:g}"
    else:
        return None
    c = profile["concurrency"]
    return (
        f"bursty arrivals ({figure}; Poisson = 1): size max_num_seqs and KV memory for the p99 concurrency "
        f"({c['p99']:.0f}), not the mean ({c['mean']:.1f})"
    )


def idle(profile: dict) -> str | None:
    arrivals = profile["arrivals"]
    if arrivals is None or arrivals["idle_gaps"]["fraction_of_time"] <= IDLE_SHARE:
        return None
    gaps = arrivals["idle_gaps"]
    return (
        f"{gaps['fraction_of_time']:.1%} of the time (> {IDLE_SHARE:.0%}) lies in gaps of {gaps['threshold_s']:g} s "
        "or more without an arrival: the server idles then, so latency matters more than peak throughput"
    )


def prefix_cache(profile: dict) -> str | None:
    reuse = profile["prefix_reuse"]
    if not reuse or reuse["reused_token_fraction"] < PREFIX_CACHE_WORTH:
        return None
    return (
        f"{reuse['reused_token_fraction']:.1%} of prompt tokens (>= {PREFIX_CACHE_WORTH:.0%}) repeat an earlier "
        "prefix: a paged KV cache with prefix caching would skip that prefill"
    )


# Order of printing: why the strategy (reasons), then what to watch (notes).
REASONS = (static_waste, decode_waste, prefill_waste, even_lengths, output_spread, prompt_spread, paged_gain)
NOTES = (served_not_trace, kv_fit, overcommit, offline, coarse_clock, bursty, idle, prefix_cache)
