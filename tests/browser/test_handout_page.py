"""The HTML handout in a real headless browser: it renders, the picture shows, nothing is fetched.

Chromium runs in a network namespace of its own when the tests run as root (no route out at
all), with its background services off, and writes a net log: any request the page started for
something other than a file is a failure. A control page that does load a URL proves the log
would show it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import png
import pytest

COURSE = Path(__file__).resolve().parents[2]
NETWORK_FILL = (0xDB, 0xE9, 0xFF)  # toolkit.topology.dot.NETWORK_FILL
ROUTER_FILL = (0xFF, 0xE3, 0xB3)  # toolkit.topology.dot.ROUTER_FILL
QUIET = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pings",
    "--disable-default-apps",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> list[str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        message = "chromium is missing: run scripts/provision-test-tools"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    unshare = shutil.which("unshare")
    offline = [unshare, "-n"] if unshare and os.geteuid() == 0 else []
    return [*offline, binary, *QUIET]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("handout") / "routing.html"
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            "from toolkit.cli.app import main; main()",
            "handout",
            "routing",
            "-o",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=COURSE,
    )
    assert made.returncode == 0, made.stderr
    return path


def run_browser(chromium: list[str], page: Path, *args: str) -> tuple[str, list[str]]:
    """Open the page; return the DOM as rendered and the URLs the page itself asked for."""
    net_log = page.with_suffix(f".{len(args)}.netlog.json")
    result = subprocess.run(
        [
            *chromium,
            f"--user-data-dir={page.parent / 'profile'}",
            f"--log-net-log={net_log}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=page.parent,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, page_requests(net_log)


def page_requests(net_log: Path) -> list[str]:
    """URLs other than files that a page started (the browser's own requests have no origin)."""
    log = json.loads(net_log.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start
        and "url" in event.get("params", {})
        and event["params"].get("initiator") != "not an origin"
        and not event["params"]["url"].startswith("file:")
    ]


def test_the_page_renders_its_picture_and_fetches_nothing(chromium: list[str], page: Path) -> None:
    html = page.read_text()
    assert not re.search(r"https?://|\bsrc=|\bhref=", html), "the page names an external resource"
    dom, requested = run_browser(chromium, page, "--dump-dom")
    assert requested == []
    assert "<svg" in dom and "Routing between two LANs" in dom
    figure = dom[dom.index('<figure id="topology">') : dom.index("</figure>")]
    for address in ("10.30.1.254", "10.30.2.254", "10.30.1.10", "10.30.2.10", "10.30.1.0/24"):
        assert address in figure
    assert "sudo ip route replace" not in dom  # the solution
    assert "route -n" in dom  # the task's text, which names the command to look with


def test_a_page_that_loads_a_url_would_be_caught(chromium: list[str], tmp_path: Path) -> None:
    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><img src="https://example.invalid/lab.png">')
    _, requested = run_browser(chromium, control, "--dump-dom")
    assert requested == ["https://example.invalid/lab.png"]


def test_the_screenshot_shows_the_picture(chromium: list[str], page: Path) -> None:
    shot = page.with_name("routing.png")
    run_browser(chromium, page, f"--screenshot={shot}", "--window-size=1000,900")
    width, height, rows, info = png.Reader(filename=str(shot)).asRGBA8()
    colours: dict[tuple[int, int, int], int] = {}
    for row in rows:
        for x in range(0, width * 4, 4):
            pixel = (row[x], row[x + 1], row[x + 2])
            if pixel in (NETWORK_FILL, ROUTER_FILL):
                colours[pixel] = colours.get(pixel, 0) + 1
    # Two network bars and the router box, painted: thousands of pixels of their fills.
    assert colours.get(NETWORK_FILL, 0) > 5000, colours
    assert colours.get(ROUTER_FILL, 0) > 2000, colours
