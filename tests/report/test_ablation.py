"""`tokbench run --ablation`: the ladder's strategies, what each step changes, and who carries the gain."""

import re

from results.helpers import run_cli, synthetic_results
from tokbench.benchmark.ablation import STRATEGIES
from tokbench.benchmark.strategy_registry import builtin_names
from tokbench.report.ablation import attribution, ladder
from tokbench.report.collect import collect_runs
from tokbench.results import load_results

# Output throughput per round of each step: paged KV is the big, clear step; the others are within noise.
LADDER_ROUNDS = {
    "static-padded": (100, 98, 103),
    "continuous": (300, 290, 310),
    "continuous-paged": (400, 392, 410),
    "tokenmaxxing-nochunk": (404, 386, 418),
    "tokenmaxxing": (402, 395, 411),
}


def _results(tmp_path, rounds=LADDER_ROUNDS):
    summaries = {name: [{"output_throughput": v, "median_ttft_ms": 1e5 / v, "p99_ttft_ms": 2e5 / v,
                         "median_tpot_ms": 10.0, "p99_tpot_ms": 12.0, "peak_kv_reserved_tokens": 1000.0}
                        for v in values] for name, values in rounds.items()}
    return synthetic_results(tmp_path / "ablation", summaries).parent


def test_ablation_runs_the_ladder_and_all_leaves_the_variants_out(capsys):
    code, out, err = run_cli(capsys, "run", "--ablation", "--print-config")
    assert code == 0, err
    assert re.search(r"strategies = \[(.*)\]", out).group(1) == ", ".join(f'"{s}"' for s in STRATEGIES)
    assert "continuous-paged" not in builtin_names() and "tokenmaxxing-nochunk" not in builtin_names()
    code, _, err = run_cli(capsys, "run", "--ablation", "--strategy", "tokenmaxxing", "--print-config")
    assert code == 2 and "--ablation runs the ladder's strategies" in err and err.count("\n") == 1


def test_the_step_that_carries_the_gain_is_named(tmp_path):
    steps = ladder([r.measured for r in collect_runs([load_results(_results(tmp_path))])])
    assert [s.label for s in steps] == list(STRATEGIES)
    words = attribution(steps)
    assert words.startswith("Output throughput, tokenmaxxing ÷ continuous: 1.3")
    assert "paged KV 1.3" in words and words.endswith("The paged KV step carries the gain (n = 3).")


def test_a_single_round_ladder_names_no_step(tmp_path):
    one = {name: values[:1] for name, values in LADDER_ROUNDS.items()}
    steps = ladder([r.measured for r in collect_runs([load_results(_results(tmp_path, one))])])
    assert attribution(steps).endswith("no step is named as carrying the gain.")


def test_report_shows_the_ladder(tmp_path, capsys):
    code, _, err = run_cli(capsys, "report", _results(tmp_path), "--out-dir", tmp_path / "rep")
    assert code == 0, err
    md = (tmp_path / "rep" / "report.md").read_text()
    section = md[md.index("## Ablation: what each step changes"):]
    rows = [line for line in section.splitlines() if line.startswith("| ")][2:7]
    assert [r.split(" | ")[0].strip("| ") for r in rows] == list(STRATEGIES)
    assert "| 1.33× (" in rows[2]  # continuous-paged ÷ continuous, with its interval
    assert "The paged KV step carries the gain" in section
    html = (tmp_path / "rep" / "report.html").read_text()
    assert '<section id="ablation">' in html and "paged KV" in html
