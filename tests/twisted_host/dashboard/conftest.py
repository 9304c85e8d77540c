"""Fixtures of the Site's own pages: a server of the module's own (so figures and the
reactor are not shared with other tests), and headless Chromium from Debian."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client import fetch
from tests.servers import Server, run_server

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"

# Debian's packages (scripts/system-deps.sh); selenium-manager must never fetch one.
CHROMIUM = Path(os.environ.get("TWISTBRIDGE_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("TWISTBRIDGE_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server for this module alone: its figures count this module's requests."""
    tmp = tmp_path_factory.mktemp("own-server")
    with run_server("--no-access-log", tmp_path=tmp, uvicorn=True) as server:
        yield server


def stats(server: Server) -> dict[str, Any]:
    reply = fetch(server.url + "/stats", timeout=30)
    assert reply.status == 200
    document: dict[str, Any] = json.loads(reply.body)
    return document


def _missing_browser() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{path} is missing: install Debian's {package} (scripts/system-deps.sh)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Selenium through Debian's chromedriver."""
    reason = _missing_browser()
    if reason is not None:
        pytest.skip(reason)
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed (the `test` extra)"
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="twistbridge-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # An explicit driver path: Selenium then skips selenium-manager entirely.
        service = Service(executable_path=str(CHROMEDRIVER))
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_window_size(1280, 900)
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()


def screenshot(driver: Any, name: str, width: int | None = None) -> Path:
    """Save the whole page as test-artifacts/NAME.png (at `width` if given)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = driver.get_window_size()
    width = width or size["width"]
    driver.set_window_size(width, size["height"])  # the page reflows at this width
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 140, 6000))
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(size["width"], size["height"])
    return path
