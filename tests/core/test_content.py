"""The bodies core produces, and the parsing of the inputs they depend on."""

from __future__ import annotations

import calendar
import math
from typing import cast

import pytest

from core.busy import BadSeconds, parse_seconds
from core.content import (
    echo_text,
    error_page,
    form_result_page,
    parse_year,
    redirect_page,
    year_page,
)


def test_echo_text_is_canonical() -> None:
    headers = [("Host", "h"), ("X-B", "2"), ("x-a", "1"), ("X-B", "3")]
    assert echo_text("PUT", "/e?q", "HTTP/1.1", headers) == (
        "You said:\nPUT /e?q HTTP/1.1\nhost: h\nx-a: 1\nx-b: 2,3\n"
    )


@pytest.mark.parametrize(
    ("segment", "year"),
    [
        *[("1", 1), ("2013", 2013), ("0042", 42), ("9999", 9999), ("0", None)],
        *[("10000", None), ("-1", None), ("", None), ("abc", None), ("٢٠١٣", None)],
        *[("9" * 5000, None), ("20 3", None), ("+201", None)],
    ],
)
def test_parse_year(segment: str, year: int | None) -> None:
    assert parse_year(segment) == year


def test_year_page_is_the_books() -> None:
    assert year_page(2013) == (
        f"<html><body><pre>{calendar.calendar(2013)}</pre></body></html>"
    )


def test_form_result_escapes() -> None:
    assert form_result_page("<b>&'\"") == (
        "<html><body>You submitted: &lt;b&gt;&amp;&#x27;&quot;</body></html>"
    )


def test_error_page() -> None:
    assert error_page(400, "a <b>") == "<h1>Bad Request</h1>a &lt;b&gt;"


def test_redirect_page_matches_twisted() -> None:
    # The native mount answers with Twisted's redirectTo: the others copy its page.
    from twisted.web.iweb import IRequest
    from twisted.web.test.requesthelper import DummyRequest
    from twisted.web.util import redirectTo

    for url in ["/native/calendar/2026", '/x?a=1&b="<2>"']:
        # Twisted's stand-in request does not declare the interface it stands in for.
        request = cast(IRequest, DummyRequest([b""]))
        page = redirectTo(url.encode(), request)
        assert page.decode() == redirect_page(url)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [(None, 5.0), ("0", 0.0), ("0.25", 0.25), ("60", 60.0), ("007", 7.0)],
)
def test_parse_seconds(raw: str | None, seconds: float) -> None:
    assert math.isclose(parse_seconds(raw), seconds)


@pytest.mark.parametrize(
    "raw",
    ["", "x", "-1", "60.01", "61", "nan", "inf", "1e1", " 1", "1.", ".5", "1" * 9],
)
def test_parse_seconds_refuses(raw: str) -> None:
    with pytest.raises(BadSeconds, match=r"^seconds must be a number from 0 to 60$"):
        parse_seconds(raw)


def test_parse_seconds_limit_is_a_setting() -> None:
    assert parse_seconds(None, default=1, limit=2) == 1
    with pytest.raises(BadSeconds, match=r"from 0 to 2$"):
        parse_seconds("3", limit=2)
