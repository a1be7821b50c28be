"""Sweep specs: a grid and explicit points become RunConfigs; every mistake is one line and exit 2."""

import pytest

from results.helpers import run_cli
from sweep.helpers import GRID, write_spec
from tokbench.errors import UserError
from tokbench.sweep.keys import point_id
from tokbench.sweep.points import plan_points, plan_searches
from tokbench.sweep.spec import load_spec, spec_differences


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize("body, expected", [
    ('[grid]\n"scheduler.max_num_seq" = [2, 8]\n',
     "unknown key 'scheduler.max_num_seq' (did you mean 'max_num_seqs'?)"),
    ("[grid]\n", "nothing to sweep: [grid] is empty"),
    ("", "nothing to sweep"),
    ('[grid]\n"scheduler.max_num_seqs" = []\n', "scheduler.max_num_seqs = []: an empty list sweeps nothing"),
    ('[grid]\n"scheduler.max_num_seqs" = 8\n', "must be a list of values to sweep"),
    ('[grid]\n"scheduler.max_num_seqs" = [8, 0]\n', "--max-num-seqs 0 (scheduler.max_num_seqs): must be at least 1"),
    ('[grid]\nout = ["a", "b"]\n', "'out' cannot be swept"),
    ('[grd]\nseed = [1, 2]\n', "unknown table [grd] (did you mean [grid]?)"),
    ('[base]\nmodel.dtyp = "fp32"\n[grid]\nseed = [1, 2]\n', "[base]: unknown key 'model.dtyp'"),
    ('[[point]]\nscheduler.block_sizes = 8\n', "[[point]] #1: unknown key 'scheduler.block_sizes'"),
    ('[grid]\nseed = [1]\n[capacity]\nattainment = 0.9\n', "a capacity search needs an SLO"),
    ('[grid]\n"workload.rate_scale" = [1, 2]\n[capacity]\nslo = { ttft_ms = 100 }\n',
     "the capacity search sets workload.rate_scale itself"),
    ('[capacity]\nslo = { ttft = 100 }\n', "slo 'ttft' is not an SLO"),
    # Checked as `tokbench run` checks a config, every point before the first runs:
    ('[base]\nworkload.spec = "tiny"\n[grid]\nstrategies = ["continuous", "no-such-strategy"]\n',
     "grid (no-such-strategy): "),
    ('[base]\nworkload.spec = "no-such-workload"\n[grid]\nseed = [1, 2]\n', "grid (seed=1): "),
    ('[base]\nworkload.spec = "tiny"\n[[point]]\n"scheduler.knobs.chunk_sise" = 64\n', "point #1 (chunk_sise=64): "),
])
def test_a_bad_spec_is_one_line_and_exit_2(tmp_path, capsys, body, expected):
    spec = write_spec(tmp_path, body)
    code, _, err = run_cli(capsys, "sweep", spec, "--out", tmp_path / "out")
    assert code == 2
    assert len(_error_lines(err)) == 1, err
    assert expected in err and str(spec) in err
    assert not (tmp_path / "out").exists()  # nothing written for a spec that never ran


def test_capacity_flags_without_a_search_are_refused(tmp_path, capsys):
    spec = write_spec(tmp_path, GRID)
    code, _, err = run_cli(capsys, "sweep", spec, "--slo", "ttft_ms=100")
    assert code == 2 and "--slo: applies to a capacity search; add --capacity" in err


def test_grid_product_plus_points_each_config_once(tmp_path):
    spec = load_spec(write_spec(tmp_path, GRID + """
[[point]]
strategies = "continuous"
"scheduler.knobs" = {}
scheduler.max_num_seqs = 2
workload.rate_scale = 1.0

[[point]]
strategies = "continuous"
"scheduler.max_num_seqs" = 5
"""))
    points = plan_points(spec)
    # 2 x 2 x 2 from the grid; the first [[point]] is a grid point written another way, the second is new.
    assert len(points) == 9
    assert len({p.id for p in points}) == 9
    last = points[-1]
    assert last.origin == "point #2" and last.config.scheduler.max_num_seqs == 5
    assert last.config.strategies == ("continuous",)
    first = points[0]
    assert first.values == {"strategies": "continuous", "scheduler.max_num_seqs": 2, "workload.rate_scale": 1.0}
    assert first.config.workload.options.rate_scale == 1.0 and first.config.model.threads == 1


def test_point_ids_follow_the_config_not_how_it_was_written(tmp_path):
    nested = load_spec(write_spec(tmp_path, "[base]\n[base.model]\nthreads = 1\n[grid]\nseed = [3]\n", "a.toml"))
    quoted = load_spec(write_spec(tmp_path, '[base]\n"model.threads" = 1\nwarmup = true\n[grid]\nseed = [3]\n',
                                  "b.toml"))
    assert nested.hash == quoted.hash  # warmup = true is the default: the same spec
    assert [p.id for p in plan_points(nested)] == [p.id for p in plan_points(quoted)]
    other = load_spec(write_spec(tmp_path, "[base]\n[base.model]\nthreads = 2\n[grid]\nseed = [3]\n", "c.toml"))
    assert plan_points(other)[0].id != plan_points(nested)[0].id
    assert point_id(plan_points(nested)[0].config.with_values({"out": "elsewhere"})) == plan_points(nested)[0].id


def test_spec_differences_name_each_changed_key(tmp_path):
    old = load_spec(write_spec(tmp_path, GRID, "old.toml"))
    new = load_spec(write_spec(tmp_path, GRID.replace("[2, 8]", "[2, 16]").replace("warmup = false", "seed = 4")
                               + '[[point]]\nstrategies = "continuous"\n', "new.toml"))
    lines = spec_differences(old.canonical(), new.canonical())
    assert "base.seed: (default) -> 4" in lines
    assert "base.warmup: False -> (default)" in lines
    assert "grid.scheduler.max_num_seqs: [2, 8] -> [2, 16]" in lines
    assert "[[point]] #1: none -> {strategies = continuous}" in lines
    assert len(lines) == 4


def test_capacity_searches_one_per_strategy_with_the_slo_in_every_probe(tmp_path):
    spec = load_spec(write_spec(tmp_path, """
[base]
workload.spec = TINY_ONLINE
strategies = ["continuous", "tokenmaxxing"]
slo.e2el_ms = 5000
[grid]
"scheduler.max_num_seqs" = [2, 8]
[capacity]
slo = "ttft_ms=100,tpot_ms=20"
"""))
    searches = plan_searches(spec)
    assert [s.label for s in searches] == ["continuous max_num_seqs=2", "tokenmaxxing max_num_seqs=2",
                                           "continuous max_num_seqs=8", "tokenmaxxing max_num_seqs=8"]
    probe = searches[0].probe(2.5)
    assert probe.config.strategies == ("continuous",)
    assert probe.config.workload.options.rate_scale == 2.5
    assert probe.config.slo.as_dict() == {"ttft_ms": 100.0, "tpot_ms": 20.0}  # the search's SLO, only
    assert probe.id != searches[0].probe(2.0).id


def test_load_spec_names_a_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such sweep spec"):
        load_spec(tmp_path / "absent.toml")
