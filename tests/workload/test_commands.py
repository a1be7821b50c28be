"""`tokbench workloads` and `tokbench profile` outputs: terminal, JSON and report files."""

import json

import pytest
from typer.testing import CliRunner

import tokbench.cli.profile_cmd  # noqa: F401  (registers the command)
import tokbench.cli.workloads_cmd  # noqa: F401
from tokbench.cli.app import app
from tokbench.workload import list_presets


def invoke(*args):
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_workloads_lists_every_preset_with_statistics():
    rows = json.loads(invoke("workloads", "--json"))
    assert [r["name"] for r in rows] == list_presets()
    hv = next(r for r in rows if r["name"] == "high-variance")
    assert hv["requests"] == 128 and hv["arrival"] == "offline" and hv["prompt_p50_p90_p99"][0] > 0
    assert "high-variance" in invoke("workloads")


def test_profile_terminal_shows_every_section():
    out = invoke("profile", "high-variance-online")
    for words in ("p90/p10", "p99/p50", "inter-arrival CV", "index of dispersion", "idle gaps", "concurrency",
                  "rate over time", "prefill waste", "decode waste", "FFD prompts", "Recommendation: "):
        assert words in out, words
    assert "try: tokbench run --workload high-variance-online --model=tiny --max-model-len=2048 --strategy " in out
    assert "add --report profile.html" in out  # plots are one flag away, and the terminal says so
    assert "Arrivals: offline" in invoke("profile", "high-variance")


def test_profile_describes_what_the_run_would_serve():
    """--model / --max-model-len / --kv-budget-tokens / --max-num-seqs: the served lengths, how far
    they are from the trace, and KV figures for that target."""
    from tokbench.profile.length_stats import length_summary
    from tokbench.workload import load_table

    trace = load_table("long-context")
    served = json.loads(invoke("profile", "long-context", "--model", "llama-1b", "--max-model-len", "4096",
                               "--kv-budget-tokens", "40000", "--max-num-seqs", "6", "--json"))
    assert served["fit"]["rewritten"] == served["requests"] == 200
    assert served["fit"]["trace"]["prompt"] == length_summary(trace.prompt_len)  # the trace's own lengths
    assert served["total"]["max"] <= 4096 < served["fit"]["trace"]["total"]["p50"]
    lost = 1 - served["total"]["total"] / int(trace.prompt_len.sum() + trace.output_len.sum())
    assert abs(served["fit"]["tokens_lost_fraction"] - lost) < 1e-12
    kv = served["kv"]
    assert kv["budget_tokens"] == 40000 and kv["continuous_slots"] == 40000 // 4096
    assert kv["max_num_seqs"] == 6 and served["recommendation"]["knobs"]["max_num_seqs"] == 6
    assert served["target"] == {"model": "llama-1b", "max_model_len": 4096, "kv_budget_tokens": 40000,
                                "kv_budget_source": "--kv-budget-tokens", "max_num_seqs": 6, "block_size": 16}
    out = invoke("profile", "long-context", "--model", "llama-1b", "--max-model-len", "4096")
    assert "Trace vs what run serves: 200 of 200 requests clipped at max_model_len 4,096" in out
    assert "warning: 100% of the requests were rewritten" in out


def test_profile_takes_the_model_max_len_and_the_cpu_default_budget():
    profile = json.loads(invoke("profile", "tiny", "--model", "llama-1b", "--json"))
    assert profile["target"]["max_model_len"] == 8192 and profile["kv"]["budget_tokens"] == 16 * 8192
    assert "--model=llama-1b --max-model-len=8192" in profile["recommendation"]["command"]


def test_profile_caps_max_num_seqs_at_what_the_kv_budget_holds():
    """64 offline ~2k-token requests with a 16-sequence budget: the knob stays within the budget and
    the overcommit of run's default --max-num-seqs is named."""
    profile = json.loads(invoke("profile", "summarization", "--num-requests", "64", "--offline", "--json"))
    kv, rec = profile["kv"], profile["recommendation"]
    assert kv["overcommit"] > 1 and kv["max_num_seqs"] == 128
    room = {"continuous": kv["continuous_slots"], "tokenmaxxing": kv["paged_sequences"]["mean"],
            "static-padded": kv["static_rows_p90"]}.get(rec["strategy"])
    assert room is None or rec["knobs"]["max_num_seqs"] <= room
    assert any(note.startswith("with --max-num-seqs 128 (run's default)") for note in rec["notes"])


def test_printed_run_command_reproduces_the_workload(tmp_path):
    """The command profile suggests carries the same workload options (window, sample, scaling)."""
    import shlex

    args = ["profile", "chat", "--window", "10:200", "--sample", "300", "--length-scale", "0.5", "--seed", "4",
            "--rate-scale", "2", "--json"]
    first = json.loads(invoke(*args))
    rec = first["recommendation"]
    assert rec["command"].endswith(" " + rec["flags"])
    command = shlex.split(rec["command"][: -len(rec["flags"])])
    assert command[:4] == ["tokbench", "run", "--workload", "chat"]
    workload_flags = command[4:]
    assert "--seed=4" in workload_flags and "--window=10:200" in workload_flags
    again = json.loads(invoke("profile", "chat", *workload_flags, "--json"))
    assert again["source"]["options"] == first["source"]["options"]
    assert again["prompt"] == first["prompt"] and again["arrivals"] == first["arrivals"]


def test_profile_report_html_and_markdown(tmp_path):
    profile = json.loads(invoke("profile", "high-variance-online", "--json", "--report", str(tmp_path / "r.html")))
    files = {p.rsplit("/", 1)[-1] for p in profile["report_files"]}
    assert files == {"r.html", "r-lengths-histogram.png", "r-lengths-cdf.png", "r-arrival-rate.png"}
    for name in files:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") if name.endswith(".png") else b"<html" in data
    page = (tmp_path / "r.html").read_text()
    for tag in ("ul", "table", "pre"):
        assert page.count(f"<{tag}>") == page.count(f"</{tag}>") >= 1, tag
    assert "rate over time" in page and profile["recommendation"]["command"].split()[0] in page
    invoke("profile", "tiny", "--report", str(tmp_path / "t.md"))
    markdown = (tmp_path / "t.md").read_text()
    assert "## Recommendation" in markdown and "![lengths-cdf](t-lengths-cdf.png)" in markdown
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("args", [["--budgets", "0,5"], ["--report", "x.txt"], ["--over-length", "shrink"],
                                  ["--max-model-len", "4096"], ["--kv-budget-tokens", "0"], ["--model", "nope"]])
def test_profile_bad_flags_are_user_errors(args, tmp_path):
    from tokbench.errors import UserError

    result = CliRunner().invoke(app, ["profile", "tiny", *args])
    assert isinstance(result.exception, UserError)


def test_skip_bad_rows_prints_counts_by_reason(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:00:00.1,10,3\n2023-11-16 18:00:00.2,-1,3\n2023-11-16 18:00:00.3,-2,3\n"
        "bad time,5,5\n2023-11-16 18:00:00.6,8,2\n"
    )
    out = invoke("profile", str(path), "--skip-bad-rows")
    assert "rows skipped (--skip-bad-rows): length is negative: 2, timestamp cannot be parsed: 1" in out
    assert json.loads(invoke("profile", str(path), "--skip-bad-rows", "--json"))["requests"] == 2


def test_workloads_table_says_what_each_preset_favours():
    rows = {r["name"]: r for r in json.loads(invoke("workloads", "--json"))}
    assert rows["uniform"]["favours"] == "static-padded" and rows["uniform"]["p90_over_p10"][0] < 2
    assert rows["high-variance"]["favours"] == "tokenmaxxing" and min(rows["high-variance"]["p90_over_p10"]) >= 4
