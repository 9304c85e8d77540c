"""core.proxy's rules, on their own: the upstream URL, the target, the headers."""

from __future__ import annotations

import pytest

from core.errors import ClientError
from core.proxy import (
    Upstream,
    forwarded_for,
    request_headers,
    response_headers,
    target,
)

UP = Upstream.parse("http://127.0.0.1:8001/asgi/")


def test_upstream_parse() -> None:
    assert Upstream("http", "127.0.0.1", 8001, "/asgi") == UP
    assert Upstream.parse("https://[::1]/").authority == "[::1]"
    for bad in ("ftp://x/", "http:///x", "http://x/?q=1", "http://u:p@x/", "x"):
        with pytest.raises(ValueError):
            Upstream.parse(bad)


@pytest.mark.parametrize(
    ("raw", "depth", "query", "expected"),
    [
        ("/native/proxy/hello", 2, "", "/asgi/hello"),
        ("/native/proxy/a%20b/", 2, "x=1", "/asgi/a%20b/?x=1"),
        ("/native/proxy", 2, "", "/asgi"),
        ("/api/v1/proxy/x", 3, "", "/asgi/x"),
    ],
)
def test_target(raw: str, depth: int, query: str, expected: str) -> None:
    assert target(UP, raw, depth, query) == expected


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("/n/proxy/..", 400),
        ("/n/proxy/%2E%2e/x", 400),
        ("/n/proxy/a%2fb", 400),
        ("/n/proxy/a%5cb", 400),
        ("/n/proxy/%00", 400),
        ("/n/proxy//host/x", 404),
    ],
)
def test_target_refuses_escapes(raw: str, status: int) -> None:
    with pytest.raises(ClientError) as refused:
        target(UP, raw, 2, "")
    assert refused.value.status == status


def test_forwarded_for() -> None:
    assert forwarded_for(None, "1.2.3.4") == "1.2.3.4"
    assert forwarded_for("9.9.9.9", "1.2.3.4") == "9.9.9.9, 1.2.3.4"
    # A client this Site took from a trusted proxy's header is not added twice.
    assert forwarded_for("1.2.3.4, 10.0.0.1", "1.2.3.4") == "1.2.3.4"
    assert forwarded_for(None, None) is None


def test_request_headers() -> None:
    sent = request_headers(
        [
            ("Host", "site:8000"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "1"),
            ("TE", "trailers"),
            ("Expect", "100-continue"),
            ("Accept", "a"),
            ("Accept", "b"),
        ],
        upstream=UP,
        client="127.0.0.1",
        scheme="https",
    )
    assert sent == {
        "accept": "a,b",
        "host": "127.0.0.1:8001",
        "x-forwarded-for": "127.0.0.1",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "site:8000",
    }


def test_response_headers() -> None:
    got = response_headers(
        [
            ("Content-Type", "text/plain"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Connection", "close, X-Secret"),
            ("X-Secret", "s"),
            ("Transfer-Encoding", "chunked"),
            ("Server", "old"),
        ]
    )
    assert got == [
        ("Content-Type", "text/plain"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
