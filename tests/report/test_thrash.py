"""The thrash warning: generated from the recomputed share it cites, above THRASH_SHARE only, and shown
where a user reads the run (the terminal summary and the report)."""

from __future__ import annotations

import math
import subprocess
import sys

from tokbench.metrics.thrash import THRASH_SHARE, thrash_advice


def _summary(share: float) -> dict:
    return {"preemptions": 37, "recomputed_tokens": share * 10_000, "recompute_share": share}


def test_flagged_only_above_the_threshold_with_the_figures_it_cites():
    assert thrash_advice("tokenmaxxing", _summary(THRASH_SHARE)) is None
    line = thrash_advice("tokenmaxxing", _summary(0.4))
    assert line.startswith("tokenmaxxing is thrashing: 37 preemptions")
    assert "recompute 4,000 tokens, 40% of all it computed" in line and f"above {100 * THRASH_SHARE:.0f}%" in line
    assert "--kv-budget-tokens" in line and "--max-num-seqs" in line and "admission=" in line


def test_unknown_share_is_not_flagged():
    """Peers do not report recomputation: no warning rather than a made-up one."""
    assert thrash_advice("vllm-chunked", _summary(math.nan)) is None
    assert thrash_advice("old results", {"preemptions": 3}) is None


def test_a_thrashing_run_says_so_in_the_terminal_and_the_report(tmp_path):
    """Long prompts, a KV budget for a few of them, and admission on the first chunk: tokenmaxxing
    preempts over and over; continuous, which admits whole prompts into max_model_len slots, does not."""
    out = tmp_path / "sim"
    run = subprocess.run(
        [sys.executable, "-m", "tokbench", "simulate", "--workload", "high-variance", "--num-requests", "24",
         "--offline", "--roofline", "H100-SXM", "--kv-budget-tokens", "4096", "--max-model-len", "1024",
         "--strategy", "tokenmaxxing", "--strategy", "continuous", "--knob", "admission=chunk",
         "--chunk-size", "64", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    terminal = " ".join((run.stdout + run.stderr).split())
    assert "tokenmaxxing is thrashing" in terminal and "continuous is thrashing" not in terminal
    report = subprocess.run([sys.executable, "-m", "tokbench", "report", str(out), "--out-dir", str(tmp_path / "r")],
                            capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    assert "tokenmaxxing is thrashing" in (tmp_path / "r" / "report.md").read_text()
