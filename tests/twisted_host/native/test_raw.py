"""The chapter's low layers as their own listeners: example 4-1 (a LineReceiver echo)
and 4-2 (an http.Request subclass), answering with correct HTTP/1.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.content import ABOUT, HOME, NOT_FOUND, echo_text
from core.contract import HTML, TEXT
from tests.client import exchange, parse
from tests.servers import run_server


def test_raw_echo(tmp_path: Path) -> None:
    with run_server(command="raw-echo", tmp_path=tmp_path) as server:
        raw = exchange(
            server.url, b"GET /any/path?q=1 HTTP/1.1\r\nHost: h\r\nX-A: b\r\n\r\n"
        )
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    reply = parse(raw)
    expected = echo_text(
        "GET", "/any/path?q=1", "HTTP/1.1", [("host", "h"), ("x-a", "b")]
    )
    assert reply.text == expected
    assert reply.header("content-type") == TEXT
    assert reply.header("content-length") == str(len(expected.encode()))
    assert reply.header("connection") == "close"


def test_raw_echo_rejects_garbage(tmp_path: Path) -> None:
    with run_server(command="raw-echo", tmp_path=tmp_path) as server:
        reply = parse(exchange(server.url, b"hello there\r\n\r\n"))
        assert reply.status == 400
        too_long = parse(exchange(server.url, b"GET /" + b"a" * 20000 + b"\r\n"))
        assert too_long.status == 431


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [("/", 200, HOME), ("/about", 200, ABOUT), ("/nope", 404, NOT_FOUND)],
)
def test_raw_handler(tmp_path: Path, path: str, status: int, body: str) -> None:
    with run_server(command="raw-handler", tmp_path=tmp_path) as server:
        raw = exchange(server.url, f"GET {path} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
    assert raw.split(b"\r\n", 1)[0] in (b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found")
    reply = parse(raw)
    assert (reply.status, reply.text) == (status, body)
    assert reply.header("content-type") == HTML
    assert reply.header("content-length") == str(len(body))
    assert reply.header("connection") == "close"
