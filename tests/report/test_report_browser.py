"""The HTML report opens in real headless Chromium: it renders, every chart shows, nothing errors."""

import os
from pathlib import Path

import pytest

from report.browser import IMAGES_SCRIPT, Browser, broken_images, errors_in, require_browser
from results.helpers import FIXTURE, run_cli

CHARTS = {"throughput", "latency_cdf", "efficiency", "kv_batch_time", "step_mix"}


@pytest.fixture(scope="module")
def browser():
    chrome, driver = require_browser()
    with Browser(chrome, driver) as b:
        yield b


def test_four_strategy_report_renders_with_every_chart_visible(browser, tmp_path, capsys):
    code, _, err = run_cli(capsys, "report", FIXTURE, "--out-dir", tmp_path, "--format", "html")
    assert code == 0, err
    page = tmp_path / "report.html"
    browser.open(page)
    browser.console()  # start the log from this page
    assert browser.run("return document.readyState;") == "complete"
    images = browser.run(IMAGES_SCRIPT)
    assert len(images) == len(CHARTS)
    assert broken_images(images) == []
    assert all(i["src"].startswith("data:image/png;base64,") for i in images)
    sections = browser.run("return [...document.querySelectorAll('main section[id]')].map(s => s.id);")
    assert set(sections) == CHARTS
    headline = browser.run("return document.querySelector('section.findings li').innerText;")
    assert "highest output throughput" in headline
    # The summary table shows one row per strategy.
    rows = browser.run("return [...document.querySelectorAll('table')[0].tBodies[0].rows].map(r => r.cells[0].innerText);")
    assert sorted(rows) == ["continuous", "ffd-packing", "static-padded", "tokenmaxxing"]
    assert errors_in(browser.console()) == []
    shot = Path(os.environ.get("TOKBENCH_REPORT_SCREENSHOT", tmp_path / "report.png"))
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_check_sees_broken_images_and_console_errors(browser, tmp_path):
    """The assertions above can fail: a page with a missing image and a script error is caught."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><img alt="x" src="missing.png">'
                    '<script>console.error("report script failed")</script></body></html>')
    browser.open(page)
    images = browser.run(IMAGES_SCRIPT)
    assert len(broken_images(images)) == 1
    messages = errors_in(browser.console())
    assert any("missing.png" in m for m in messages) and any("report script failed" in m for m in messages)
