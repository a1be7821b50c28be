"""Workload notes state counts out of the whole, the limit and the method, and warn in one line
when more than a tenth of the requests were rewritten to fit max_model_len."""

import numpy as np
import pytest

from tokbench.workload import WorkloadOptions, load_table
from tokbench.workload.notes import REWRITTEN_WARN_SHARE, fit_notes, source_notes
from tokbench.workload.shaping import fit_to_length
from tokbench.workload.table import LengthTable


def table(prompts, outputs) -> LengthTable:
    return LengthTable(prompt_len=np.array(prompts), output_len=np.array(outputs), arrival_s=np.arange(len(prompts), dtype=float))


def test_clip_note_states_count_total_limit_method_and_tokens():
    fitted = fit_to_length(table([100, 3000, 10, 1900], [50, 1000, 5, 200]), 2048, "clip")
    assert fitted.source["fit"] == {"max_model_len": 2048, "over_length": "clip", "requests": 4, "rewritten": 2,
                                    "tokens": 6265, "tokens_served": int(fitted.prompt_len.sum() + fitted.output_len.sum())}
    notes = source_notes(fitted.source)
    lost = 6265 - fitted.source["fit"]["tokens_served"]
    assert notes[0] == (f"2 of 4 requests clipped to max_model_len 2,048 (prompt and output scaled proportionally); "
                        f"{lost:,} of 6,265 tokens ({lost / 6265:.0%}) not served")
    assert notes[1].startswith("warning: 50% of the requests were rewritten (more than 10%)")
    assert len(notes) == 2


def test_drop_note_and_arrivals_still_start_at_zero():
    fitted = fit_to_length(table([3000, 100, 200], [10, 10, 10]), 2048, "drop")
    assert fitted.prompt_len.tolist() == [100, 200] and fitted.arrival_s.tolist() == [0.0, 1.0]
    assert source_notes(fitted.source)[0].startswith("1 of 3 requests dropped: longer than max_model_len 2,048")


@pytest.mark.parametrize("rewritten,warns", [(10, False), (11, True)])
def test_warning_only_above_a_tenth(rewritten, warns):
    fit = {"max_model_len": 512, "over_length": "clip", "requests": 100, "rewritten": rewritten,
           "tokens": 1000, "tokens_served": 900}
    notes = fit_notes(fit)
    assert notes[0].startswith(f"{rewritten} of 100 requests clipped to max_model_len 512")
    assert (len(notes) == 2) is warns and REWRITTEN_WARN_SHARE == 0.1
    if warns:
        assert notes[1].startswith(f"warning: {rewritten}% of the requests were rewritten")


def test_nothing_over_the_limit_prints_nothing():
    fitted = fit_to_length(table([10, 20], [5, 5]), 2048, "clip")
    assert fitted.source["fit"]["rewritten"] == 0 and source_notes(fitted.source) == []


def test_loading_with_max_model_len_equals_fitting_afterwards():
    """`profile` fits the trace itself; `run` loads it fitted: the two must be the same requests."""
    options = WorkloadOptions(limit=50, rate_scale=2.0, over_length="drop")
    loaded = load_table("chat", seed=1, max_model_len=300, options=options)
    fitted = fit_to_length(load_table("chat", seed=1, options=options), 300, "drop")
    assert np.array_equal(loaded.prompt_len, fitted.prompt_len) and np.array_equal(loaded.row_id, fitted.row_id)
    assert np.array_equal(loaded.arrival_s, fitted.arrival_s) and loaded.source["fit"] == fitted.source["fit"]
    assert loaded.source["fit"]["rewritten"] > 0
