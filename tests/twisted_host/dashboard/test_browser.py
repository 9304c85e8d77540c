"""What a person sees in a real browser: headless Chromium (Debian's) through Selenium.

Screenshots go to test-artifacts/. Skipped, with the reason, where chromium,
chromedriver or selenium is missing.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from core.mounts import MOUNT_NAMES, TARGETS
from tests.client import in_background
from tests.servers import Server
from tests.twisted_host.dashboard.conftest import screenshot

pytestmark = pytest.mark.long

T = TypeVar("T")

MOUNTS = list(TARGETS)
PAYLOAD = (
    '<script>window.__pwned = 1; document.title = "pwned"</script>'
    '<img src="x" onerror="window.__pwned = 2">'
)


def until(check: Callable[[], T], timeout: float = 10, what: str = "") -> T:
    """Poll `check` until it returns something true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or check}")
        time.sleep(0.05)


def js(driver: Any, script: str) -> Any:
    return driver.execute_script(script)


@pytest.mark.parametrize("mount", MOUNTS)
def test_form_submit_shows_the_script_as_text(
    browser: Any, own_server: Server, mount: str
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(own_server.base(mount) + "/form")
    field = browser.find_element(By.NAME, "form-field")
    field.send_keys(PAYLOAD)
    browser.find_element(By.CSS_SELECTOR, 'input[type="submit"]').click()
    body = until(
        lambda: js(browser, "return document.body && document.body.innerText"),
        what="the answer page",
    )
    assert body == "You submitted: " + PAYLOAD
    screenshot(browser, f"form-{mount}")
    # Escaped on the way out: the payload is text, never markup that ran.
    assert js(browser, "return window.__pwned === undefined") is True
    assert browser.title != "pwned"
    assert js(browser, "return document.querySelectorAll('script, img').length") == 0
    assert browser.current_url == own_server.base(mount) + "/form"


@pytest.mark.parametrize("mount", MOUNTS)
def test_calendar_redirect_lands_on_this_year(
    browser: Any, own_server: Server, mount: str
) -> None:
    year = time.localtime().tm_year
    browser.get(own_server.base(mount) + "/calendar/now")
    until(
        lambda: browser.current_url.endswith(f"/calendar/{year}"),
        what=f"/calendar/{year}",
    )
    assert browser.current_url == f"{own_server.base(mount)}/calendar/{year}"
    shown = js(browser, "return document.querySelector('pre').textContent")
    assert shown == calendar.calendar(year)
    screenshot(browser, f"calendar-{mount}")


def test_compare_page_shows_highlighted_blocks_per_mount(
    browser: Any, own_server: Server
) -> None:
    browser.get(own_server.url + "/compare/form")
    sides = js(
        browser,
        """return Array.from(document.querySelectorAll('section.side')).map(s => ({
            id: s.id,
            blocks: s.querySelectorAll('.highlight pre').length,
            text: s.querySelector('.highlight pre').textContent.trim().length,
            keyword: getComputedStyle(s.querySelector('.highlight .k')).color,
            plain: getComputedStyle(s.querySelector('.highlight pre')).color,
        }))""",
    )
    assert [side["id"] for side in sides] == [f"side-{m}" for m in MOUNT_NAMES]
    for side in sides:
        assert side["blocks"] >= 1 and side["text"] > 0, side
        assert side["keyword"] != side["plain"], side  # the highlighting is styled
    screenshot(browser, "compare-form")
    screenshot(browser, "compare-form-phone", width=400)
    browser.get(own_server.url + "/compare/echo")
    screenshot(browser, "compare-echo")


def figure(driver: Any, path: str) -> str:
    return str(
        js(
            driver,
            f"return document.querySelector('[data-stat=\"{path}\"]').textContent",
        )
    )


def number(driver: Any, path: str) -> float | None:
    """A figure as a number; None while it reads as a dash (no data yet)."""
    try:
        return float(figure(driver, path))
    except ValueError:
        return None


def test_dashboard_figures_move_under_load(browser: Any, own_server: Server) -> None:
    url = own_server.url
    browser.get(url + "/")
    status = "return document.getElementById('live-status').textContent"
    live = "live over a WebSocket, every second"
    until(lambda: js(browser, status) == live, what="the live figures")
    assert figure(browser, "mounts.native.in_flight") == "0"
    screenshot(browser, "dashboard-idle")
    screenshot(browser, "dashboard-phone", width=400)

    with in_background([f"{url}/native/busy?seconds=3"] * 5) as statuses:
        until(
            lambda: figure(browser, "mounts.native.in_flight") == "5",
            timeout=2.5,
            what="native in flight to read 5",
        )
        screenshot(browser, "dashboard-busy")
    assert statuses == [200] * 5
    until(
        lambda: figure(browser, "mounts.native.in_flight") == "0",
        what="native in flight back to 0",
    )
    assert (number(browser, "mounts.native.p50_ms") or 0) >= 3000

    # The reactor sleeps: the page says it gets no answer, then shows the lag.
    with in_background([f"{url}/native/busy/blocking?seconds=3"]) as statuses:
        until(
            lambda: js(browser, status).startswith("no answer for"),
            timeout=4,
            what="the page to notice the reactor is blocked",
        )
    assert statuses == [200]
    lag = until(
        lambda: (number(browser, "reactor_lag_ms.max") or 0) >= 2500,
        timeout=4,
        what="reactor lag to show the blocked seconds",
    )
    assert lag
    until(lambda: js(browser, status) == live, what="live again")
    screenshot(browser, "dashboard-lag")


def test_dashboard_listens_on_its_websocket(browser: Any, own_server: Server) -> None:
    from websockets.sync.client import connect

    from tests.client import ws_url

    browser.get(own_server.url + "/")
    until(
        lambda: (
            js(browser, "return document.documentElement.dataset.live") == "websocket"
        ),
        what="the dashboard's WebSocket",
    )
    assert figure(browser, "open.asgi.websockets") == "0"
    with connect(ws_url(own_server.base("asgi")) + "/ws"):
        until(
            lambda: figure(browser, "open.asgi.websockets") == "1",
            timeout=3,
            what="the open WebSocket on /asgi",
        )
        with in_background([own_server.base("wsgi") + "/events?count=3"]):
            until(
                lambda: figure(browser, "open.wsgi.event_streams") == "1",
                timeout=3,
                what="the event stream on /wsgi",
            )
            screenshot(browser, "dashboard-open-streams")
    until(
        lambda: figure(browser, "open.asgi.websockets") == "0",
        what="the WebSocket's end",
    )
