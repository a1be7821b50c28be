"""`--target-precision P`: rounds are added until every run's output throughput is within ±P% (95%),
between --repeats (at least 2) and --max-repeats; the results say what was reached."""

import math

import pytest

from tests.sweep.paced_runner import paced
from tokbench.benchmark import precision
from tokbench.benchmark import run as run_module
from tokbench.benchmark.config import ModelSettings, RunConfig, WorkloadSettings
from tokbench.benchmark.config_flags import config_to_flags
from tokbench.benchmark.config_parse import config_from_dict
from tokbench.errors import UserError
from tokbench.gate.rounds import _verified_first
from tokbench.workload.options import WorkloadOptions

STRATEGIES = ("continuous", "tokenmaxxing")


def _config(**values) -> RunConfig:
    return RunConfig(model=ModelSettings("tiny", threads=1), strategies=STRATEGIES, warmup=False,
                     workload=WorkloadSettings("tiny", WorkloadOptions(num_requests=3)), **values)


def _run(monkeypatch, config: RunConfig, widths_after: dict[int, float]):
    """run_benchmark with each run's half-width scripted by the rounds it has (the stopping rule's input)."""
    seen = []

    def scripted(runs):
        seen.append({name: len(rounds) for name, rounds in runs.items()})
        return {name: widths_after[len(rounds)] for name, rounds in runs.items()}

    monkeypatch.setattr(run_module, "_half_widths", scripted)
    return run_module.run_benchmark(config, wrap_runner=paced(0.0005)), seen


def test_rounds_stop_at_the_first_round_every_run_is_precise_enough(monkeypatch):
    results, seen = _run(monkeypatch, _config(repeats=2, target_precision=5, max_repeats=8),
                         {2: 20.0, 3: 4.0, 4: 1.0})
    assert [len(results.run(name).rounds) for name in STRATEGIES] == [3, 3]
    assert seen[0] == {"continuous": 2, "tokenmaxxing": 2}  # not looked at before --repeats rounds
    assert results.doc["precision"] == {"metric": "output_throughput", "target_percent": 5.0, "max_repeats": 8,
                                        "rounds": 3, "reached": True,
                                        "half_width_percent": {"continuous": 4.0, "tokenmaxxing": 4.0}}
    assert "precision: target ±5% of output throughput reached after 3 rounds" in results.doc["notes"][-1]


def test_a_run_that_never_settles_stops_at_max_repeats_and_says_so(monkeypatch):
    results, _ = _run(monkeypatch, _config(target_precision=5, max_repeats=3), {n: 9.0 for n in range(1, 5)})
    assert [len(results.run(name).rounds) for name in STRATEGIES] == [3, 3]
    assert results.doc["precision"]["reached"] is False and results.doc["precision"]["rounds"] == 3
    assert "not reached in 3 rounds, the most --max-repeats allows" in results.doc["notes"][-1]


def test_one_run_short_of_the_target_keeps_every_run_going(monkeypatch):
    def widths(runs):
        return {name: 3.0 if name == "continuous" or len(rounds) >= 4 else 8.0 for name, rounds in runs.items()}

    monkeypatch.setattr(run_module, "_half_widths", widths)
    results = run_module.run_benchmark(_config(target_precision=5, max_repeats=6), wrap_runner=paced(0.0005))
    assert [len(results.run(name).rounds) for name in STRATEGIES] == [4, 4]


def test_without_a_target_the_rounds_are_the_repeats_and_nothing_is_recorded():
    results = run_module.run_benchmark(_config(repeats=2), wrap_runner=paced(0.0005))
    assert [len(results.run(name).rounds) for name in STRATEGIES] == [2, 2]
    assert "precision" not in results.doc


def test_half_widths_are_the_t_interval_in_percent_of_the_median():
    widths = precision.half_widths({"a": [{"output_throughput": 90.0}, {"output_throughput": 110.0}],
                                    "b": [{"output_throughput": 50.0}]})
    assert widths["a"] == pytest.approx(12.7062 * math.sqrt(200) / math.sqrt(2))  # t(0.975, 1) * sd / sqrt(n)
    assert math.isnan(widths["b"])
    assert not precision.reached(widths, 1000.0)  # a run without an interval is never precise enough
    assert precision.reached({"a": 4.9, "b": 5.0}, 5.0) and not precision.reached({}, 5.0)
    assert precision.record(5.0, 1, 10, widths)["half_width_percent"]["b"] is None


def test_the_least_and_most_rounds():
    assert (precision.least_rounds(1, None), precision.most_rounds(1, None, None)) == (1, 1)
    assert (precision.least_rounds(1, 5.0), precision.most_rounds(1, 5.0, None)) == (2, 10)
    assert (precision.least_rounds(12, 5.0), precision.most_rounds(12, 5.0, None)) == (12, 12)
    assert precision.most_rounds(3, 5.0, 4) == 4


@pytest.mark.parametrize("values,message", [
    ({"target_precision": 0}, "--target-precision 0.0 (target_precision): must be a percentage between 0 and 100"),
    ({"target_precision": 120.0}, "--target-precision 120.0 (target_precision)"),
    ({"max_repeats": 5}, "--max-repeats 5 (max_repeats): is the most rounds --target-precision may add"),
    ({"target_precision": 5, "repeats": 4, "max_repeats": 3}, "--max-repeats 3 (max_repeats): must be at least --repeats"),
    ({"target_precision": 5, "max_repeats": 1}, "--max-repeats 1 (max_repeats): must be at least --repeats and at least 2"),
])
def test_bad_settings_are_one_line_naming_the_flag(values, message):
    with pytest.raises(UserError) as err:
        config_from_dict({**RunConfig().to_dict(), **values}, "here")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_settings_travel_with_the_config_and_the_gate_drops_them():
    config = _config(repeats=3, target_precision=2.5, max_repeats=12)
    assert RunConfig.from_dict(config.to_dict()) == config
    assert config_to_flags(config)[-6:] == ["--repeats", "3", "--target-precision", "2.5", "--max-repeats", "12"]
    single = _verified_first(config, 1)
    assert (single.repeats, single.target_precision, single.max_repeats) == (1, None, None)
