"""`/race` in a real browser (Debian's Chromium through Selenium): the drawn page tells
the chapter's lesson. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.servers import Server, run_server
from tests.twisted_host.dashboard.conftest import screenshot
from tests.twisted_host.dashboard.test_browser import js, until
from tests.twisted_host.dashboard.test_race import events, start

pytestmark = pytest.mark.long

# Wide enough for the five legs side by side (the pictures in docs/images).
LEGS_IN_A_ROW = 1600
RACE_TIMEOUT = 60  # 12 requests on four targets, the WSGI one in three rounds
STATUS = "return document.getElementById('race-status').textContent"
UNFINISHED = (
    "return document.querySelectorAll('#svg-{mount} g.req:not([data-end])').length"
)


@pytest.fixture(scope="module")
def racer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("race-browser")
    with run_server(
        "--no-access-log", "--wsgi-threads", "4", tmp_path=tmp, uvicorn=True
    ) as server:
        yield server


def race(
    browser: Any,
    feature: str,
    requests: int,
    seconds: float,
    meanwhile: Callable[[], None] | None = None,
) -> str:
    """Fill the form with the keyboard, start the race (look at it `meanwhile`),
    wait for it to end."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "race-feature")).select_by_value(feature)
    for name, value in (("race-requests", requests), ("race-seconds", seconds)):
        field = browser.find_element(By.ID, name)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(str(value))
    browser.find_element(By.ID, "race-seconds").send_keys(Keys.ENTER)
    if meanwhile is not None:
        meanwhile()
    return str(
        until(
            lambda: (
                (text := js(browser, STATUS)).startswith("Race ")
                and " is over" in text
                and text
            ),
            timeout=RACE_TIMEOUT,
            what="the race to end",
        )
    )


def drawn(browser: Any, mount: str) -> dict[str, Any]:
    """What the waterfall of one mount shows, read from its SVG and its table."""
    found: dict[str, Any] = js(
        browser,
        f"""var svg = document.getElementById('svg-{mount}');
        var ends = Array.from(svg.querySelectorAll('g.req[data-end]'))
            .map(g => parseFloat(g.dataset.end));
        return {{
            bars: svg.querySelectorAll('g.req').length,
            ends: ends,
            finished: parseFloat(svg.dataset.finished),
            table: document.querySelector('#summary-{mount} td.finished').textContent,
            lag: parseFloat(svg.querySelector('g.lag').dataset.maxLag),
            lagDrawn: svg.querySelectorAll('g.lag polygon').length,
            busy: parseInt(svg.querySelector('g.pool').dataset.maxBusy),
            backlog: parseInt(svg.querySelector('g.pool').dataset.maxBacklog),
            sentences: document.getElementById('sentences-{mount}').textContent,
            compare: document.querySelector('#leg-{mount} a.compare')
                .getAttribute('href'),
        }}""",
    )
    return found


def test_busy_race_native_and_asgi_in_one_second_wsgi_in_three(
    browser: Any, racer: Server
) -> None:
    browser.get(racer.url + "/race")
    labels = js(
        browser,
        """return Array.from(document.querySelectorAll('#race-form select, #race-form input'))
            .map(f => document.querySelector('label[for="' + f.id + '"]') !== null)""",
    )
    assert labels == [True, True, True]  # every field has its label

    def live() -> None:
        # Drawn as it happens: /native is over while /wsgi's requests still run.
        until(
            lambda: (
                js(browser, STATUS).startswith("Racing wsgi")
                and js(browser, UNFINISHED.format(mount="wsgi")) > 0
            ),
            timeout=RACE_TIMEOUT,
            what="the wsgi leg to be drawn running",
        )
        assert js(browser, UNFINISHED.format(mount="native")) == 0
        assert len(drawn(browser, "native")["ends"]) == 12
        assert js(browser, "return document.getElementById('race-fields').disabled")
        screenshot(browser, "race-running")

    over = race(browser, "busy", 12, 1, meanwhile=live)
    assert "native" in over and "wsgi" in over
    figures = {mount: drawn(browser, mount) for mount in ("native", "wsgi", "asgi")}
    for mount, shown in figures.items():
        assert shown["bars"] == 12 and len(shown["ends"]) == 12, (mount, shown)
        assert shown["finished"] == max(shown["ends"])
        assert shown["table"] == f"{shown['finished']:.2f} s"
        assert shown["compare"] == "/compare/busy"
        assert shown["sentences"].startswith(f"12 requests to /{mount}/busy?seconds=1")
    for mount in ("native", "asgi"):
        assert 0.95 <= figures[mount]["finished"] < 1.5, figures[mount]
        assert figures[mount]["busy"] == 0
    wsgi = figures["wsgi"]
    assert 2.95 <= wsgi["finished"] < 3.6, wsgi
    assert wsgi["busy"] == 4 and wsgi["backlog"] >= 6, wsgi
    # Four at a time: the ends come in three rounds about a second apart.
    rounds = sorted(round(end) for end in wsgi["ends"])
    assert rounds == [1] * 4 + [2] * 4 + [3] * 4, wsgi["ends"]
    assert "the pool has 4 threads" in wsgi["sentences"]
    screenshot(browser, "race-busy", width=LEGS_IN_A_ROW)
    screenshot(browser, "race-busy-phone", width=400)

    # The permalink draws the same race from the record inside it.
    number = re.match(r"Race (\d+) is over", over)
    assert number is not None
    browser.get(f"{racer.url}/race/{number.group(1)}.html")
    saved = until(lambda: js(browser, "return !!document.getElementById('svg-wsgi')"))
    assert saved
    assert drawn(browser, "wsgi")["ends"] == wsgi["ends"]
    assert js(browser, "return document.getElementById('race-form')") is None


def test_blocking_race_shows_the_lag_on_native_and_asgi_only(
    browser: Any, racer: Server
) -> None:
    browser.get(racer.url + "/race")
    race(browser, "busy-blocking", 2, 1)
    lags = {m: drawn(browser, m) for m in ("native", "wsgi", "asgi", "uvicorn")}
    for mount in ("native", "asgi"):
        assert lags[mount]["lag"] >= 0.8, (mount, lags[mount])
        assert lags[mount]["lagDrawn"] > 0
        assert "The reactor was late by up to" in lags[mount]["sentences"]
    for mount in ("wsgi", "uvicorn"):
        assert lags[mount]["lag"] < 0.5, (mount, lags[mount])
    screenshot(browser, "race-blocking", width=LEGS_IN_A_ROW)


def test_a_second_race_while_one_runs_is_refused_on_the_page(
    browser: Any, racer: Server
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(racer.url + "/race")
    until(
        lambda: js(browser, "return !document.getElementById('race-fields').disabled")
    )
    running = start(racer, feature="busy", requests=2, seconds=1)
    assert running.status == 202
    browser.find_element(By.ID, "race-start").click()
    until(
        lambda: js(browser, STATUS).startswith("A race is already running"),
        what="the page to say a race is running",
    )
    events(racer, json.loads(running.body)["number"])  # to its end
    until(
        lambda: " is over" in js(browser, STATUS),
        timeout=RACE_TIMEOUT,
        what="the page to follow that race to its end",
    )
    assert (
        js(browser, "return document.getElementById('race-fields').disabled") is False
    )
