"""Thrashing: preemptions that make a run compute much of its work twice.

A recompute preemption drops a sequence's KV; the tokens it held are computed again when the
sequence resumes. A few are the price of admitting optimistically; when they add up to a large
share of the computed tokens, the run measures its KV budget more than its scheduling, and whoever
reads "static-padded wins" should first hear that.
"""

from __future__ import annotations

# Above this share of the computed tokens spent on recomputation, the run is flagged (docs/metrics.md).
THRASH_SHARE = 0.10
THRASH_METRICS = ("preemptions", "recomputed_tokens", "recompute_share")  # what thrash_advice reads


def thrash_advice(label: str, summary: dict) -> str | None:
    """One sentence naming the waste and what to change, or None when the share is unknown or below THRASH_SHARE."""
    share = summary.get("recompute_share", float("nan"))
    if not share == share or share <= THRASH_SHARE:
        return None
    return (f"{label} is thrashing: {summary['preemptions']:,.0f} preemptions made it recompute "
            f"{summary['recomputed_tokens']:,.0f} tokens, {100 * share:.0f}% of all it computed (flagged above "
            f"{100 * THRASH_SHARE:.0f}%); its KV budget holds fewer sequences than it admits. Raise "
            "--kv-budget-tokens, lower --max-num-seqs, raise --knob watermark=…, or (tokenmaxxing) admit on "
            "whole footprints: --knob admission=prompt, or admission=final to never preempt.")
