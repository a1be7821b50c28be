"""A calibrated model says where it extrapolates: steps larger than any it was fitted on are named."""

import pytest

from tests.conftest import mixed_requests
from tests.simulate.conftest import KNOBS, STRATEGIES, SYNTHETIC_SECONDS, TINY_TARGET
from tokbench.benchmark.results_doc import combined_table
from tokbench.benchmark.strategy_registry import resolve
from tokbench.errors import UserError
from tokbench.simulate.cost_file import cost_model_doc, cost_model_from_doc
from tokbench.simulate.coverage import RANGES, extrapolation_notes, feature_ranges
from tokbench.simulate.features import FEATURES, feature_matrix
from tokbench.simulate.linear import LinearStepModel
from tokbench.simulate.run import simulate

TRUTH = LinearStepModel(TINY_TARGET, SYNTHETIC_SECONDS)
SHORT = mixed_requests(12, seed=7, max_prompt=24, max_output=6)  # what the model is "calibrated" on


def _steps(requests):
    return combined_table(simulate([resolve(s) for s in STRATEGIES], KNOBS, requests, TRUTH), "steps")


@pytest.fixture(scope="module")
def calibrated():
    """The synthetic model, with the feature ranges of the short workload's steps as calibrate records them."""
    ranges = feature_ranges(feature_matrix(_steps(SHORT)))
    return LinearStepModel(TINY_TARGET, SYNTHETIC_SECONDS, {RANGES: ranges})


def test_ranges_are_each_features_lowest_and_highest_value():
    features = feature_matrix(_steps(SHORT))
    ranges = feature_ranges(features)
    assert list(ranges) == list(FEATURES)
    for j, name in enumerate(FEATURES):
        assert ranges[name] == [features[:, j].min(), features[:, j].max()]


def test_the_workload_it_was_calibrated_on_and_smaller_ones_get_no_note(calibrated):
    assert extrapolation_notes(calibrated, _steps(SHORT)) == []
    tiny = mixed_requests(6, seed=8, max_prompt=8, max_output=3)  # below every range: still no note
    assert extrapolation_notes(calibrated, _steps(tiny)) == []


def test_larger_steps_are_named_with_their_share_of_the_predicted_time(calibrated):
    long = mixed_requests(12, seed=7, max_prompt=110, max_output=16)
    notes = extrapolation_notes(calibrated, _steps(long))
    assert len(notes) == len(STRATEGIES)
    for strategy, note in zip(STRATEGIES, notes):
        assert note.startswith("extrapolated: ") and f"of {strategy}'s predicted step time" in note
        share = int(note.split("% of ")[0].removeprefix("extrapolated: "))
        assert 5 <= share <= 100
        assert "where the calibration's steps reach" in note


def test_a_model_without_ranges_names_nothing():
    long = mixed_requests(12, seed=7, max_prompt=110, max_output=16)
    assert extrapolation_notes(TRUTH, _steps(long)) == []


def test_ranges_survive_the_file_and_a_malformed_one_is_one_clear_error(calibrated):
    doc = cost_model_doc(calibrated)
    assert cost_model_from_doc(doc, "cost.json").fit[RANGES] == calibrated.fit[RANGES]
    doc["parameters"]["fit"][RANGES]["kv_read_tokens"] = [5.0]
    with pytest.raises(UserError, match=r"cost.json: linear cost model: fit.ranges.kv_read_tokens = \[5.0\] "
                                        r"must be \[lowest, highest\]"):
        cost_model_from_doc(doc, "cost.json")
