"""`Connection: close` ends the connection wherever it is in the list and on whichever
line (RFC 9110 section 7.6.1), on every mount, as uvicorn does; without it an
HTTP/1.1 connection stays open for the next request. Twisted read only the first
line, split at spaces."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from core.mounts import UVICORN
from tests.client import parse
from tests.conftest import MOUNTS
from tests.servers import Server

CLOSING = [
    b"Connection: keep-alive, close\r\n",
    b"Connection: close, keep-alive\r\n",
    b"Connection: keep-alive,close\r\n",
    b"Connection: keep-alive\r\nConnection: close\r\n",
    b"Connection: Upgrade\r\nConnection: CLOSE\r\n",
    b"Connection: \tclose\t\r\n",
]
OPEN = [
    b"",
    b"Connection: keep-alive\r\n",
    b"Connection: keep-alive, x-close\r\n",
    b"Connection: closed\r\n",
]


def _first_answer(server: Server, mount: str, headers: bytes) -> tuple[bytes, bool]:
    """The answer to one request, and whether the server closed after it."""
    url = server.uvicorn_url if mount == UVICORN else server.url
    assert url is not None
    prefix = b"asgi" if mount == UVICORN else mount.encode()
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=3) as sock:
        sock.sendall(b"GET /%s/hello HTTP/1.1\r\nHost: x\r\n%s\r\n" % (prefix, headers))
        answer = b""
        while b"Hello, world!" not in answer:
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
        sock.settimeout(0.5)  # a close comes at once; any idle timeout is 5 s or more
        try:
            closed = sock.recv(65536) == b""
        except TimeoutError:
            closed = False
    return answer, closed


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("headers", CLOSING, ids=[h.decode().strip() for h in CLOSING])
def test_close_anywhere_closes(server: Server, mount: str, headers: bytes) -> None:
    answer, closed = _first_answer(server, mount, headers)
    assert closed
    assert parse(answer).header("connection") == "close"


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("headers", OPEN, ids=[h.decode().strip() or "-" for h in OPEN])
def test_without_close_it_stays_open(
    server: Server, mount: str, headers: bytes
) -> None:
    _, closed = _first_answer(server, mount, headers)
    assert not closed
