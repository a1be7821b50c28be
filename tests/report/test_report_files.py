"""`tokbench report` and `tokbench compare`: what they write and what they conclude."""

import re

import pytest

from results.helpers import FIXTURE, copy_fixture, run_cli, synthetic_results
from tokbench.report.collect import collect_runs
from tokbench.metrics.intervals import Estimate
from tokbench.report.compare import deltas, judge
from tokbench.report.evidence import Measured
from tokbench.report.findings import findings
from tokbench.results import load_results


def test_report_writes_markdown_with_charts_and_one_self_contained_html_to_reports(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "report", FIXTURE, "--name", "four")
    assert code == 0, err
    tmp_path = tmp_path / "reports"  # the default destination
    md = (tmp_path / "four.md").read_text()
    for heading in ("## What this shows", "## Summary", "## Latency percentiles", "## Throughput by strategy",
                    "## Latency distributions", "## Padding, fragmentation and utilization",
                    "## KV usage and batch size over time", "## Prefill–decode mix per step"):
        assert heading in md
    for ref in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (tmp_path / ref).read_bytes()[:4] == b"\x89PNG"
    html = (tmp_path / "four.html").read_text()
    sources = re.findall(r'src="([^"]*)"', html)
    assert len(sources) == 5 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'<link|<script[^>]*src=|url\(http', html)  # nothing fetched from elsewhere
    assert "<table>" in html and "static-padded" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["four.html", "four.md", "four_charts"]


def test_single_rounds_name_the_fastest_but_no_winner():
    runs = collect_runs([load_results(FIXTURE)])
    top = max(runs, key=lambda r: r.summary["output_throughput"])
    lines = findings(runs)
    assert lines[0].startswith(f"**{top.label}** has the highest output throughput") and "(one round)" in lines[0]
    assert "no winner is named" in lines[1]
    assert not any("beats" in line for line in lines)
    assert any("static-padded spends" in line and "padding" in line for line in lines)


def _rounds(*values: float) -> list[dict]:
    return [{"output_throughput": v, "p99_ttft_ms": 1000.0 / v, "median_tpot_ms": 10.0} for v in values]


def test_a_winner_is_named_only_where_the_interval_excludes_a_tie(tmp_path):
    res = load_results(synthetic_results(tmp_path / "r", {"a": _rounds(130, 128, 133, 131, 129),
                                                         "b": _rounds(100, 99, 101, 100, 102),
                                                         "c": _rounds(101, 97, 104, 96, 103)}))
    lines = findings(collect_runs([res]))
    assert lines[0] == "**a** has the highest output throughput: 130.0 tok/s (median of 5 rounds)."
    assert lines[1].startswith("Output throughput: a beats b by 30% (a ÷ b 1.30× [")
    assert lines[1].endswith("n = 5).")
    assert "TTFT p99: a beats" in " ".join(lines)


def test_a_close_race_is_no_significant_difference(tmp_path):
    res = load_results(synthetic_results(tmp_path / "r", {"a": _rounds(101, 95, 108, 99, 104),
                                                         "b": _rounds(100, 104, 97, 103, 99)}))
    lines = findings(collect_runs([res]))
    assert lines[1].startswith("Output throughput: no significant difference between a and b")
    assert "n = 5" in lines[1] and not any("beats" in line for line in lines[:2])


def test_runs_of_two_results_get_distinct_labels(tmp_path):
    other = copy_fixture(tmp_path)
    labels = [r.label for r in collect_runs([load_results(FIXTURE), load_results(other)])]
    assert len(labels) == 8 and len(set(labels)) == 8
    assert "results-v1/tokenmaxxing" in labels and "results/tokenmaxxing" in labels


def _change(median, lo, hi, n=5):
    return Estimate(median, lo, hi, n)


@pytest.mark.parametrize("change, better, verdict", [
    (_change(20, 10, 30), "higher", "better"), (_change(-20, -30, -10), "higher", "worse"),
    (_change(2, 1, 3), "lower", "worse"), (_change(-2, -3, -1), "lower", "better"),
    (_change(3, -2, 8), "higher", "no significant difference"),  # the interval holds no change
    (_change(0.5, 0.2, 0.8), "higher", "same"),  # significant, but within the 1% tolerance of 100
    (_change(20, float("nan"), float("nan"), n=1), "higher", ""),  # one round: no verdict
    (_change(20, 10, 30), None, ""),  # a count with no better direction
])
def test_compare_judges_only_on_evidence(change, better, verdict):
    assert judge(change, 100.0, better, tolerance=0.01) == verdict


def test_compare_deltas_pair_rounds_of_one_benchmark():
    a = Measured("a", [{"p99_ttft_ms": v} for v in (200, 210, 190, 205)], source="one")
    b = Measured("b", [{"p99_ttft_ms": v - 50} for v in (200, 210, 190, 205)], source="one")
    (d,) = deltas(a, b, ["p99_ttft_ms"], 0.01)
    assert d.change.median == -50 and d.change.half_width == 0  # paired: the rounds' load cancels
    assert d.relative == pytest.approx(-50 / 202.5) and d.verdict == "better"
    (unpaired,) = deltas(a, Measured("b", b.rounds, source="other"), ["p99_ttft_ms"], 0.01)
    assert unpaired.change.half_width > 0 and unpaired.verdict == "better"


def test_compare_single_runs_shows_deltas_and_no_verdict(tmp_path, capsys):
    md = tmp_path / "cmp.md"
    code, out, err = run_cli(capsys, "compare", f"{FIXTURE}:static-padded", f"{FIXTURE}:tokenmaxxing",
                             "--markdown", md)
    assert code == 0, err
    assert "padding_ratio" in out and "one round on a side: deltas only, no verdict" in out
    assert "better" not in out and "worse" not in out
    text = md.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| padding_ratio "))
    assert row.endswith("| -100.0% |")  # tokenmaxxing removes all of static-padded's padding
    assert "| metric | A: static-padded | B: tokenmaxxing | change | relative |" in text


def test_compare_with_repeats_judges_each_metric(tmp_path, capsys):
    a = synthetic_results(tmp_path / "a", {"x": [{"output_throughput": v} for v in (100, 102, 98, 101, 99)]})
    b = synthetic_results(tmp_path / "b", {"x": [{"output_throughput": v} for v in (120, 118, 123, 119, 121)]})
    code, out, err = run_cli(capsys, "compare", a.parent, b.parent, "--markdown", "-", "-m", "output_throughput",
                             "-m", "completed")
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("| output_throughput "))
    assert row == "| output_throughput | 100 ±2% | 120 ±2% | +20 [+17.57, +22.83] | +20.0% | better |"
    assert "B is better on 1 and worse on 0 of 2 metrics; 0 show no significant difference (n = 5)" in out


def test_compare_same_results_pairs_runs_by_name(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "compare", FIXTURE, copy_fixture(tmp_path), "--markdown", "-",
                           "-m", "output_throughput", "-m", "p99_ttft_ms")
    assert code == 0
    assert out.count("| output_throughput |") == 4 and out.count("| +0.0% |") == 8
    assert out.count("one round on a side: deltas only, no verdict") == 8


@pytest.mark.parametrize("args, message", [
    ([f"{FIXTURE}", f"{FIXTURE}:nope"], "no run named 'nope'"),
    ([f"{FIXTURE}", f"{FIXTURE}", "-m", "speed"], "--metric speed: not a summary metric"),
    ([f"{FIXTURE}", "missing-dir"], "missing-dir: no results found"),
    ([f"{FIXTURE}", f"{FIXTURE}", "--tolerance", "2"], "--tolerance 2.0"),
])
def test_compare_bad_input_is_one_line_and_exit_2(capsys, args, message):
    code, _, err = run_cli(capsys, "compare", *args)
    assert code == 2 and message in err and err.count("\n") == 1


def test_runs_without_step_records_get_the_charts_their_data_allows(tmp_path, capsys):
    """A peer backend (vLLM, transformers) records request timings only: no per-step charts, no crash."""
    peers = synthetic_results(tmp_path / "peers", {"vllm": {"output_throughput": 5.0}, "hf": {"output_throughput": 3.0}})
    code, _, err = run_cli(capsys, "report", peers, "--out-dir", tmp_path / "rep", "--format", "html")
    assert code == 0, err
    html = (tmp_path / "rep" / "report.html").read_text()
    assert re.findall(r'<section id="(\w+)">', html) == ["throughput", "latency_cdf", "efficiency"]
