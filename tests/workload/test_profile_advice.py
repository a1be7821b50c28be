"""Every advisory sentence of `profile` is generated from the figure it cites, against the threshold
documented in docs/profile.md: one test per sentence, on both sides of its threshold.

Each test starts from a real profile (of a small synthetic table) and sets the one figure the
sentence reads just above and just below the threshold.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from tokbench.profile import advice
from tokbench.profile.recommend import choose_strategy, recommend
from tokbench.profile.summary import profile_table
from tokbench.profile.target import resolve_target
from tokbench.workload.table import LengthTable

EPS = 1e-6


@pytest.fixture(scope="module")
def base() -> dict:
    rng = np.random.default_rng(0)
    n = 200
    table = LengthTable(
        prompt_len=rng.integers(50, 400, n),
        output_len=rng.integers(10, 100, n),
        arrival_s=np.cumsum(rng.exponential(0.5, n)),
        source={"name": "synthetic"},
    )
    return profile_table(table, resolve_target(max_model_len=1024))


def with_figure(profile: dict, path: str, value) -> dict:
    """A copy of `profile` with the figure at dotted `path` set to `value`."""
    out = copy.deepcopy(profile)
    *parents, leaf = path.split(".")
    node = out
    for key in parents:
        node = node[key]
    node[leaf] = value
    return out


def both_sides(profile: dict, path: str, threshold: float, sentence, *, fires_above: bool = True, inclusive=True):
    """(text just on the firing side, text just on the other side)."""
    above = threshold if inclusive and fires_above else threshold + EPS if fires_above else threshold - EPS
    below = threshold - EPS if fires_above else threshold if inclusive else threshold + EPS
    return sentence(with_figure(profile, path, above)), sentence(with_figure(profile, path, below))


def test_decode_waste_sentence(base):
    on, off = both_sides(base, "padding.32.decode_waste", advice.WASTE_LIMIT, advice.decode_waste)
    assert on.startswith("decode waste 25.0% >= 25%") and off is None


def test_prefill_waste_sentence(base):
    on, off = both_sides(base, "padding.32.prefill_waste", advice.WASTE_LIMIT, advice.prefill_waste)
    assert on.startswith("prefill waste 25.0% >= 25%") and off is None


def test_even_lengths_sentence(base):
    low = with_figure(with_figure(base, "padding.32.decode_waste", 0.249), "padding.32.prefill_waste", 0.249)
    assert "waste under 25%" in advice.even_lengths(low)
    assert advice.even_lengths(with_figure(low, "padding.32.decode_waste", 0.25)) is None


def test_static_waste_sentence_cites_both_figures(base):
    text = advice.static_waste(with_figure(with_figure(base, "padding.32.decode_waste", 0.779),
                                           "padding.32.prefill_waste", 0.102))
    assert "77.9% of decode slots" in text and "10.2% of prefill slots" in text and "25% is the limit" in text


@pytest.mark.parametrize("name,sentence", [("prompt", advice.prompt_spread), ("output", advice.output_spread)])
def test_spread_sentences(base, name, sentence):
    on, off = both_sides(base, f"{name}.p90_over_p10", advice.WIDE_SPREAD, sentence)
    assert on.startswith(f"{name}s vary widely: p90/p10 = 4.0 (>= 4)") and off is None
    # The case the issue found: a spread of 3.0 never reads as "vary widely", whatever the waste.
    wasteful = with_figure(with_figure(base, f"{name}.p90_over_p10", 3.0), "padding.32.prefill_waste", 0.33)
    assert sentence(wasteful) is None


def test_served_not_trace_sentence(base):
    fit = dict(base["fit"], requests=100, rewritten=11, rewritten_fraction=0.11, tokens_lost_fraction=0.3)
    on = advice.served_not_trace(with_figure(base, "fit", fit))
    assert "11 of 100 requests (11%, > 10%) were clipped" in on and "30% of the tokens" in on
    fit = dict(fit, rewritten=10, rewritten_fraction=0.10)
    assert advice.served_not_trace(with_figure(base, "fit", fit)) is None


def test_kv_fit_sentence_cites_the_budget_and_what_fits(base):
    text = advice.kv_fit(base)
    kv = base["kv"]
    assert f"KV budget {kv['budget_tokens']:,} token slots (run's CPU default: 16 x max_model_len)" in text
    assert f"{kv['paged_sequences']['p50']:,} requests of the median length" in text
    assert f"so it holds {kv['continuous_slots']:,}" in text and kv["continuous_slots"] == 16


def test_paged_gain_sentence(base):
    continuous = with_figure(with_figure(base, "padding.32.decode_waste", 0.5), "padding.32.prefill_waste", 0.1)
    kv = dict(continuous["kv"], continuous_slots=10, in_flight=40, paged_sequences={"mean": 14, "p50": 15, "p90": 12, "max": 8})
    on = with_figure(continuous, "kv", kv)
    assert "(1.5x >= 1.5x)" in advice.paged_gain(on) and choose_strategy(on) == "tokenmaxxing"
    off = with_figure(on, "kv.paged_sequences.p50", 14)
    assert advice.paged_gain(off) is None and choose_strategy(off) == "continuous"
    few = with_figure(on, "kv.in_flight", 10)  # no more in flight than continuous's slots: no gain
    assert advice.paged_gain(few) is None and choose_strategy(few) == "continuous"


def test_overcommit_sentence(base):
    on, off = both_sides(base, "kv.overcommit", advice.OVERCOMMIT_LIMIT, advice.overcommit, inclusive=False)
    assert on is not None and "grows to 1.0x the budget (> 1x)" in on and "(run's default)" in on
    assert off is None
    given = with_figure(with_figure(base, "kv.overcommit", 3.8), "target.max_num_seqs", 64)
    assert "3.8x" in advice.overcommit(given) and "(run's default)" not in advice.overcommit(given)


def test_offline_sentence(base):
    assert advice.offline(base) is None
    assert advice.offline(with_figure(base, "arrivals", None)).startswith("offline workload")


def test_bursty_sentence_from_the_cv(base):
    on, off = both_sides(base, "arrivals.interarrival_cv", advice.BURSTY_CV, advice.bursty)
    assert "inter-arrival CV 1.50 >= 1.5" in on and off is None


def test_bursty_sentence_above_a_coarse_clock(base):
    coarse = with_figure(with_figure(base, "arrivals.interarrival_cv", None), "arrivals.timestamp_resolution_s", 3.0)
    on, off = both_sides(coarse, "arrivals.index_of_dispersion_per_tick", advice.BURSTY_DISPERSION, advice.bursty)
    assert "index of dispersion per 3 s tick 2.25 >= 2.25" in on and off is None
    # With a measurable CV the per-tick figure is not used.
    assert advice.bursty(with_figure(with_figure(base, "arrivals.interarrival_cv", 1.0),
                                     "arrivals.index_of_dispersion_per_tick", 9.0)) is None


def test_coarse_clock_sentence(base):
    assert advice.coarse_clock(base) is None  # a fine clock: the CV is measured
    arrivals = dict(base["arrivals"], interarrival_cv=None, timestamp_resolution_s=3.0, zero_gap_fraction=0.9,
                    interarrival_mean_s=0.286, duration_s=18.0, index_of_dispersion_per_tick=None)
    text = advice.coarse_clock(with_figure(base, "arrivals", arrivals))
    assert "tick every 3 s and 90% of gaps are 0" in text and "the 18 s span holds 7 ticks (10 needed)" in text
    arrivals["index_of_dispersion_per_tick"] = 1.1
    assert "measured per tick instead (index of dispersion 1.10" in advice.coarse_clock(with_figure(base, "arrivals", arrivals))


def test_idle_sentence(base):
    on, off = both_sides(base, "arrivals.idle_gaps.fraction_of_time", advice.IDLE_SHARE, advice.idle, inclusive=False)
    assert on.startswith("20.0% of the time (> 20%)") and off is None


def test_prefix_cache_sentence(base):
    reuse = {"reused_token_fraction": 0.2, "reused_block_fraction": 0.1, "blocks": 10, "block_tokens": 512,
             "requests_with_reuse_fraction": 0.5, "unique_blocks": 9}
    with_reuse = with_figure(base, "prefix_reuse", reuse)
    on, off = both_sides(with_reuse, "prefix_reuse.reused_token_fraction", advice.PREFIX_CACHE_WORTH,
                         advice.prefix_cache)
    assert on.startswith("20.0% of prompt tokens (>= 20%)") and off is None
    assert advice.prefix_cache(base) is None  # no prefix blocks at all


def test_every_printed_sentence_is_one_of_the_tested_ones(base):
    """recommend() prints only sentences from advice.REASONS/NOTES (plus one line per knob)."""
    rec = recommend(base)
    generated = {s(base) for s in advice.REASONS + advice.NOTES} - {None}
    knob_lines = [line for line in rec["reasons"] if line.startswith("--")]
    assert set(rec["reasons"]) - set(knob_lines) <= generated and set(rec["notes"]) <= generated
    assert knob_lines and all(knob.split(":")[0] in rec["flags"] for knob in knob_lines)
