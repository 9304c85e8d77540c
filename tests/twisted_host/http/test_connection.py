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


def _connect(server: Server, mount: str) -> tuple[socket.socket, bytes]:
    """A connection to the mount's server, and the request for its hello page."""
    url = server.uvicorn_url if mount == UVICORN else server.url
    assert url is not None
    prefix = b"asgi" if mount == UVICORN else mount.encode()
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=3)
    return sock, b"GET /%s/hello HTTP/1.1\r\nHost: x\r\n" % prefix


def _answers(sock: socket.socket, request: bytes, asks: int) -> bytes:
    """What the server sends for `asks` requests, one after the other (the next
    sent once the last has its body); less if it closes before."""
    answer = b""
    for ask in range(1, asks + 1):
        sock.sendall(request)
        while answer.count(b"Hello, world!") < ask:
            chunk = sock.recv(65536)
            if not chunk:
                return answer
            answer += chunk
    return answer


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("headers", CLOSING, ids=[h.decode().strip() for h in CLOSING])
def test_close_anywhere_closes(server: Server, mount: str, headers: bytes) -> None:
    sock, request = _connect(server, mount)
    with sock:
        answer = _answers(sock, request + headers + b"\r\n", asks=1)
        sock.settimeout(0.5)  # a close comes at once; any idle timeout is 5 s or more
        assert sock.recv(65536) == b""
    assert parse(answer).header("connection") == "close"


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("headers", OPEN, ids=[h.decode().strip() or "-" for h in OPEN])
def test_without_close_it_stays_open(
    server: Server, mount: str, headers: bytes
) -> None:
    # Open, shown by use: the next request on the connection is answered too (a
    # server that closed after the first answers nothing more), with no wait to see
    # that no close comes.
    sock, request = _connect(server, mount)
    with sock:
        answer = _answers(sock, request + headers + b"\r\n", asks=2)
    assert answer.count(b"Hello, world!") == 2, answer
