"""`tokbench report SWEEP_DIR` and `tokbench compare SWEEP_A SWEEP_B`: files, a real browser, point pairs."""

import json
import os
import shutil
from pathlib import Path

import pytest

from report.browser import IMAGES_SCRIPT, Browser, broken_images, errors_in, require_browser
from results.helpers import FIXTURE, run_cli
from sweep.helpers import manifest
from tokbench.report.sweep_pareto import pareto_front
from tokbench.results import load_results
from tokbench.results.loader import Results
from tokbench.results.writer import save_results


def test_pareto_front_keeps_the_points_no_other_beats_on_both():
    pts = [(10, 100), (20, 150), (15, 90), (30, 150), (5, 50), (float("nan"), 500), (25, 200)]
    assert pareto_front(pts) == [4, 0, 1, 6]  # by rising latency; (30, 150) and (15, 90) are dominated
    assert pareto_front([]) == []


def test_grid_report_files(grid_sweep, tmp_path, capsys):
    _, root, _ = grid_sweep
    code, _, err = run_cli(capsys, "report", root, "--out-dir", tmp_path)
    assert code == 0, err
    md = (tmp_path / "report.md").read_text()
    assert md.startswith("# tokbench sweep report")
    charts = sorted(p.name for p in (tmp_path / "report_charts").iterdir())
    assert charts == ["heatmap_max_num_seqs_rate_scale.png", "pareto.png"]  # no capacity search here
    assert "## Points" in md and md.count("| continuous |") + md.count("| static-padded |") == 8
    assert "8 of 8 points complete (8 runs); swept: scheduler.max_num_seqs, workload.rate_scale." in err
    assert "On the throughput–p99 TTFT Pareto front:" in md


def test_a_sweep_dir_is_reported_on_its_own(grid_sweep, capsys, tmp_path):
    _, root, _ = grid_sweep
    code, _, err = run_cli(capsys, "report", root, FIXTURE, "--out-dir", tmp_path)
    assert code == 2 and "a sweep directory is reported on its own" in err


@pytest.fixture(scope="module")
def browser():
    chrome, driver = require_browser()
    with Browser(chrome, driver) as b:
        yield b


def _render(browser, root: Path, out: Path, capsys) -> list[dict]:
    """Write the sweep's HTML report, open it, check every image shows; the images."""
    code, _, err = run_cli(capsys, "report", root, "--out-dir", out, "--format", "html")
    assert code == 0, err
    browser.open(out / "report.html")
    browser.console()  # start the log from this page
    assert browser.run("return document.readyState;") == "complete"
    images = browser.run(IMAGES_SCRIPT)
    assert broken_images(images) == []
    assert all(i["src"].startswith("data:image/png;base64,") for i in images)  # self-contained
    return images


def test_grid_sweep_report_renders_in_chromium(browser, grid_sweep, tmp_path, capsys):
    _, root, _ = grid_sweep
    assert len(_render(browser, root, tmp_path, capsys)) == 2
    sections = browser.run("return [...document.querySelectorAll('main section[id]')].map(s => s.id);")
    assert sections == ["pareto", "heatmap_max_num_seqs_rate_scale", "points"]
    rows = browser.run("return [...document.querySelector('#points table').tBodies[0].rows]"
                       ".map(r => [r.cells[1].innerText, r.cells[r.cells.length - 1].innerText]);")
    assert len(rows) == 8 and {r[0] for r in rows} == {"continuous", "static-padded"}
    assert any(r[1] != "–" for r in rows)  # some run is on a Pareto front
    assert errors_in(browser.console()) == []
    shot = Path(os.environ.get("TOKBENCH_SWEEP_REPORT_SCREENSHOT", tmp_path / "sweep.png"))
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_capacity_sweep_report_renders_in_chromium(browser, capacity_sweep, tmp_path, capsys):
    _, root, outcome = capacity_sweep
    assert len(_render(browser, root, tmp_path, capsys)) == 2
    sections = browser.run("return [...document.querySelectorAll('main section[id]')].map(s => s.id);")
    assert sections == ["pareto", "capacity", "points", "capacity_table", "probes"]
    probes = browser.run("return document.querySelector('#probes table').tBodies[0].rows.length;")
    assert probes == len(outcome.capacity[0]["probes"])
    answer = browser.run("return document.querySelector('#capacity_table table').tBodies[0].rows[0].cells[1]"
                         ".innerText;")
    assert answer == f"×{outcome.capacity[0]['capacity']:g}"
    findings = browser.run("return document.querySelector('section.findings').innerText;")
    assert "sustains the highest load within the SLO" in findings
    assert errors_in(browser.console()) == []


def _rewrite(point_dir: Path, change) -> None:
    """Rewrite a point's results (valid digests) with `change(doc)` applied to a copy of results.json."""
    res = load_results(point_dir)
    doc = json.loads(json.dumps(res.doc))
    change(doc)
    save_results(Results(None, doc, res.requests, res.steps, res.tokens), point_dir)


def _halve_throughput(doc: dict) -> None:
    for r in doc["runs"]:
        for summary in (r["summary"], *r.get("rounds", [])):  # the run's figure and its rounds' alike
            summary["output_throughput"] /= 2


def test_compare_two_sweeps_point_by_point(grid_sweep, tmp_path, capsys):
    _, root, _ = grid_sweep
    other = Path(shutil.copytree(root, tmp_path / "b"))
    victim = manifest(other)["points"][0]
    _rewrite(other / victim["dir"], _halve_throughput)
    code, out, err = run_cli(capsys, "compare", root, other, "--markdown", tmp_path / "cmp.md")
    assert code == 0, err
    assert "one round per point: deltas only, no verdict" in out and "worse" not in out  # single runs: no verdict
    assert "8 points in both, 0 only in A, 0 only in B" in out
    md = (tmp_path / "cmp.md").read_text()
    assert "(-50.0%)" in md and md.count("(+0.0%)") == 23


def test_compare_refuses_points_of_different_benchmarks_unless_allowed(grid_sweep, tmp_path, capsys):
    _, root, _ = grid_sweep
    other = Path(shutil.copytree(root, tmp_path / "b"))
    victim = manifest(other)["points"][2]
    _rewrite(other / victim["dir"], lambda doc: doc["fingerprint"].update(device="cuda (another GPU)"))
    code, _, err = run_cli(capsys, "compare", root, other)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "device" in err and "--allow-mismatch" in err
    code, out, err = run_cli(capsys, "compare", root, other, "--allow-mismatch")
    assert code == 0, err
    assert out.count("judged against each other anyway (--allow-mismatch)") == 1


def test_compare_refuses_a_sweep_against_a_results_directory(grid_sweep, capsys):
    _, root, _ = grid_sweep
    code, _, err = run_cli(capsys, "compare", root, FIXTURE)
    assert code == 2 and "not a sweep directory" in err


def test_compare_two_capacity_sweeps_shows_their_capacities(capacity_sweep, tmp_path, capsys):
    _, root, outcome = capacity_sweep
    other = shutil.copytree(root, tmp_path / "b")
    code, out, err = run_cli(capsys, "compare", root, other)
    assert code == 0, err
    capacity = f"×{outcome.capacity[0]['capacity']:.3g}"
    assert "capacity under the SLO" in out and out.count(capacity) >= 2 and "1.00×" in out
