"""Length distributions and arrival processes draw what their parameters say."""

import numpy as np
import pytest

from tokbench.errors import UserError
from tokbench.workload.arrivals import arrival_times
from tokbench.workload.distributions import parse_length_distribution
from tokbench.workload.synthetic import synthesize

N = 20_000


def draw(spec, n=N, seed=0):
    rng = np.random.default_rng(seed)
    return parse_length_distribution(spec, "test").sample_lengths(rng.standard_normal(n), rng)


def test_fixed_uniform_normal():
    assert set(draw({"dist": "fixed", "value": 7}).tolist()) == {7}
    u = draw({"dist": "uniform", "low": 10, "high": 20})
    assert u.min() >= 10 and u.max() <= 20 and abs(u.mean() - 15) < 0.2
    n = draw({"dist": "normal", "mean": 500, "std": 50})
    assert abs(n.mean() - 500) < 3 and abs(n.std() - 50) < 3


def test_lognormal_median_and_clip():
    x = draw({"dist": "lognormal", "median": 200, "sigma": 1.0, "min": 5, "max": 1000})
    assert abs(np.median(x) - 200) < 10 and x.min() >= 5 and x.max() == 1000


def test_pareto_and_zipf_tails():
    p = draw({"dist": "pareto", "scale": 100, "alpha": 2.0})
    assert p.min() >= 100 and abs(np.median(p) - 100 * 2**0.5) < 5
    z = draw({"dist": "zipf", "a": 1.5, "low": 1, "high": 1000})
    assert (z == 1).mean() > 0.3 and z.max() > 100


def test_empirical_values_file_and_histogram(tmp_path):
    values = draw({"dist": "empirical", "values": [10, 20, 30]})
    assert set(values.tolist()) == {10, 20, 30}
    lengths = tmp_path / "lengths.txt"
    lengths.write_text("5\n6\n7\n")
    assert set(draw({"dist": "empirical", "file": str(lengths)}).tolist()) <= {5, 6, 7}
    h = draw({"dist": "empirical", "histogram": {"edges": [0, 100, 1000], "counts": [3, 1]}})
    assert abs((h <= 100).mean() - 0.75) < 0.02


def test_mixture_weights():
    m = draw(
        {
            "dist": "mixture",
            "components": [{"weight": 3, "dist": "fixed", "value": 1}, {"weight": 1, "dist": "fixed", "value": 1000}],
        }
    )
    assert abs((m == 1).mean() - 0.75) < 0.02


def test_correlation_links_prompt_and_output():
    spec = {
        "num_requests": 5000,
        "correlation": 0.8,
        "prompt": {"dist": "lognormal", "median": 100, "sigma": 1},
        "output": {"dist": "pareto", "scale": 10, "alpha": 1.5},
    }
    t = synthesize(spec, seed=0)
    independent = synthesize(dict(spec, correlation=0), seed=0)

    def rank_correlation(table):
        return np.corrcoef(*[np.argsort(np.argsort(a)) for a in (table.prompt_len, table.output_len)])[0, 1]

    assert rank_correlation(t) > 0.6 and abs(rank_correlation(independent)) < 0.1


@pytest.mark.parametrize(
    "bad",
    [
        {"dist": "lognormal", "median": -1, "sigma": 1},
        {"dist": "nope"},
        {"dist": "uniform", "low": 5, "high": 1},
        {"value": 3},
    ],
)
def test_bad_distribution_specs_are_user_errors(bad):
    with pytest.raises(UserError):
        parse_length_distribution(bad, "x")


def test_arrival_processes():
    rng = np.random.default_rng(0)
    poisson = arrival_times({"process": "poisson", "rate": 10}, N, rng)
    assert abs(N / poisson[-1] - 10) < 0.3 and poisson[0] == 0
    gaps = np.diff(arrival_times({"process": "gamma", "rate": 5, "cv": 3}, N, rng))
    assert abs(gaps.std() / gaps.mean() - 3) < 0.3 and abs(1 / gaps.mean() - 5) < 0.5
    assert np.allclose(np.diff(arrival_times({"process": "constant", "rate": 4}, 10, rng)), 0.25)
    ramp = np.diff(arrival_times({"process": "ramp", "start_rate": 1, "end_rate": 20}, N, rng))
    assert ramp[: N // 10].mean() > 5 * ramp[-N // 10 :].mean()
    assert not arrival_times({"process": "offline"}, 5, rng).any()
    with pytest.raises(UserError):
        arrival_times({"process": "poisson"}, 5, rng)
