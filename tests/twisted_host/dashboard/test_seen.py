"""The teaching pages as a person sees them at common desktop widths (Debian's Chromium
through Selenium): nothing cut off inside its card, and a finished race's progress bar
drawn full across the page. Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.servers import Server
from tests.twisted_host.dashboard.conftest import screenshot
from tests.twisted_host.dashboard.test_browser import js
from tests.twisted_host.dashboard.test_race_browser import race

# A laptop and a full-HD screen: the widths the table was seen cut at.
DESKTOP_WIDTHS = [1400, 1920]

# Every header cell's right edge and the card's inner right edge, in CSS pixels.
REQUESTS_TABLE = """
var card = document.querySelector('.panel.requests');
var inner = card.getBoundingClientRect().right - parseFloat(getComputedStyle(card).paddingRight);
var wrap = card.querySelector('.wrap');
return {
    inner: inner,
    cells: Array.from(card.querySelectorAll('table.figures th')).map(th => ({
        text: th.textContent, right: th.getBoundingClientRect().right,
        shown: th.getBoundingClientRect().width > 0})),
    scrolls: wrap.scrollWidth > wrap.clientWidth,
};
"""


@pytest.mark.parametrize("width", DESKTOP_WIDTHS, ids=lambda w: f"{w}px")
def test_requests_table_fits_its_card(
    browser: Any, own_server: Server, width: int
) -> None:
    size = browser.get_window_size()
    browser.set_window_size(width, 1000)
    try:
        browser.get(own_server.url + "/")
        found = js(browser, REQUESTS_TABLE)
        screenshot(browser, f"dashboard-{width}")
    finally:
        browser.set_window_size(size["width"], size["height"])
    headings = [cell["text"] for cell in found["cells"] if cell["shown"]]
    assert headings[-2:] == ["WebSockets", "event streams"], headings
    cut = [c["text"] for c in found["cells"] if c["right"] > found["inner"] + 0.5]
    assert cut == [], f"cut at the card's right edge ({found['inner']:.0f} px): {cut}"
    assert found["scrolls"] is False


FINISHED_BAR = """
var bar = document.getElementById('race-progress');
var legs = document.getElementById('race-legs');
return {value: bar.value, max: bar.max, hidden: bar.hidden,
        width: bar.getBoundingClientRect().width,
        row: legs.getBoundingClientRect().width,
        legs: legs.querySelectorAll('section.leg').length};
"""


def test_a_finished_race_shows_its_bar_full(browser: Any, own_server: Server) -> None:
    browser.get(own_server.url + "/race")
    over = race(browser, "hello", 2, 0.1)
    bar = js(browser, FINISHED_BAR)
    assert bar["legs"] == 5, over  # native, wsgi, asgi, klein and uvicorn
    assert (bar["value"], bar["max"], bar["hidden"]) == (10, 10, False), bar
    # Full means across the row of legs it measures, not a short bar at its end.
    assert bar["width"] == pytest.approx(bar["row"], abs=1), bar
