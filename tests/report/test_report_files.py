"""`tokbench report` and `tokbench compare`: what they write and what they conclude."""

import re

import pytest

from results.helpers import FIXTURE, copy_fixture, run_cli, synthetic_results
from tokbench.report.collect import collect_runs
from tokbench.report.compare import deltas, judge
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


def test_what_this_shows_names_the_winner_and_by_how_much():
    runs = collect_runs([load_results(FIXTURE)])
    by_throughput = sorted(runs, key=lambda r: -r.summary["output_throughput"])
    win, second = by_throughput[0], by_throughput[1]
    first = findings(runs)[0]
    ratio = win.summary["output_throughput"] / second.summary["output_throughput"]
    assert f"**{win.label}**" in first and f"{ratio:.2f}×" in first and second.label in first
    assert any("static-padded spends" in line and "padding" in line for line in findings(runs))


def test_a_close_race_is_called_noise_not_a_win(tmp_path):
    res = load_results(synthetic_results(tmp_path / "r", {"a": {"output_throughput": 101.0},
                                                         "b": {"output_throughput": 100.0}}))
    first = findings(collect_runs([res]))[0]
    assert "**a**" in first and "1.01×" in first and "within run-to-run noise" in first


def test_runs_of_two_results_get_distinct_labels(tmp_path):
    other = copy_fixture(tmp_path)
    labels = [r.label for r in collect_runs([load_results(FIXTURE), load_results(other)])]
    assert len(labels) == 8 and len(set(labels)) == 8
    assert "results-v1/tokenmaxxing" in labels and "results/tokenmaxxing" in labels


@pytest.mark.parametrize("a, b, better, verdict", [
    (100.0, 120.0, "higher", "better"), (100.0, 80.0, "higher", "worse"),
    (10.0, 12.0, "lower", "worse"), (10.0, 8.0, "lower", "better"),
    (100.0, 100.5, "higher", "same"), (100.0, None, "higher", ""), (3.0, 4.0, None, ""),
])
def test_compare_judges_direction(a, b, better, verdict):
    assert judge(a, b, better, tolerance=0.01) == verdict


def test_compare_deltas_carry_change_and_relative_change():
    (d,) = deltas({"p99_ttft_ms": 200.0}, {"p99_ttft_ms": 150.0}, ["p99_ttft_ms"], 0.01)
    assert d.change == -50.0 and d.relative == pytest.approx(-0.25) and d.verdict == "better"


def test_compare_command_terminal_and_markdown(tmp_path, capsys):
    md = tmp_path / "cmp.md"
    code, out, err = run_cli(capsys, "compare", f"{FIXTURE}:static-padded", f"{FIXTURE}:tokenmaxxing",
                             "--markdown", md)
    assert code == 0, err
    assert "padding_ratio" in out and "better" in out and "B is better on" in out
    text = md.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| padding_ratio "))
    assert "| -100.0% | better |" in row  # tokenmaxxing removes all of static-padded's padding
    assert "| metric | A: static-padded | B: tokenmaxxing | change | relative | B vs A |" in text


def test_compare_same_results_pairs_runs_by_name_and_finds_no_change(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "compare", FIXTURE, copy_fixture(tmp_path), "--markdown", "-",
                           "-m", "output_throughput", "-m", "p99_ttft_ms")
    assert code == 0
    assert out.count("| output_throughput |") == 4
    assert out.count("| same |") == 8 and out.count("B is better on 0 and worse on 0 of 2 metrics") == 8


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
