"""Open a page in real headless Chromium through chromedriver's W3C WebDriver HTTP API (no selenium needed).

Tests that use it skip with the reason when chromium or chromedriver is missing, unless
TOKBENCH_REQUIRE_BROWSER=1 (set by .ci/run, which installs both), where a missing browser fails.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def find_browser() -> tuple[str, str] | None:
    chrome = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = shutil.which("chromedriver")
    return (chrome, driver) if chrome and driver else None


def require_browser() -> tuple[str, str]:
    found = find_browser()
    if found:
        return found
    reason = "headless Chromium check needs chromium and chromedriver (apt-get install chromium chromium-driver)"
    if os.environ.get("TOKBENCH_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + "; TOKBENCH_REQUIRE_BROWSER=1 forbids skipping")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One chromedriver process and one browser session; use as a context manager."""

    def __init__(self, chrome: str, driver: str, width: int = 1400, height: int = 1000):
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="tokbench-chromium-")
        self.proc = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.close()
                    raise
                time.sleep(0.1)
        caps = {"browserName": "chrome", "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {"binary": chrome, "args": [*CHROMIUM_ARGS, f"--user-data-dir={self.profile}",
                                                                  f"--window-size={width},{height}"]}}
        self.session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())["value"]

    def _session(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, path: Path) -> None:
        self._session("POST", "/url", {"url": path.resolve().as_uri()})

    def run(self, script: str):
        return self._session("POST", "/execute/sync", {"script": script, "args": []})

    def console(self) -> list[dict]:
        """Browser log entries since the last call: console messages, failed loads, uncaught errors."""
        return self._session("POST", "/se/log", {"type": "browser"})

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        if full_page:
            height = int(self.run("return document.documentElement.scrollHeight;"))
            self._session("POST", "/window/rect", {"width": 1400, "height": height + 40})
        path.write_bytes(base64.b64decode(self._session("GET", "/screenshot")))

    def close(self) -> None:
        try:
            if getattr(self, "session", None):
                self._session("DELETE", "")
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# Every <img>: loaded, decoded to real pixels, laid out with a size, and not hidden.
IMAGES_SCRIPT = """
return [...document.images].map(img => {
  const box = img.getBoundingClientRect(), style = getComputedStyle(img);
  return {alt: img.alt, src: img.currentSrc.slice(0, 30), complete: img.complete, natural: img.naturalWidth,
          width: box.width, height: box.height, visible: style.visibility !== 'hidden' && style.display !== 'none'};
});
"""


def broken_images(images: list[dict]) -> list[dict]:
    return [i for i in images if not (i["complete"] and i["natural"] > 0 and i["width"] > 0 and i["height"] > 0
                                      and i["visible"])]


def errors_in(log: list[dict]) -> list[str]:
    return [entry["message"] for entry in log if entry.get("level") in ("SEVERE", "ERROR")]
