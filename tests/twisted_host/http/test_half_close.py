"""A client that half-closes (`shutdown(SHUT_WR)` after its request, as `nc -q0` and
some health checkers do) still gets its answers, then the close: RFC 9112 section
9.6. Differential against uvicorn beside the Site, on every mount and both parsers;
a head that never completed gets no answer from either."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from core.mounts import MOUNT_NAMES
from tests.client import parse
from tests.servers import Server

FORM = (
    b"POST {p}/form HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\nform-field=a"
)
REQUESTS = {
    "GET": b"GET {p}/hello HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST with a body": FORM,
    "two pipelined": b"GET {p}/hello HTTP/1.1\r\nHost: x\r\n\r\n" * 2,
    "a head cut short": b"GET {p}/hello HTTP/1.1\r\nHost: x\r\n",
}


def half_closed(base: str, raw: bytes) -> bytes:
    """Send `raw` to the mount at `base`, half-close, read until the server closes."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw.replace(b"{p}", parts.path.encode()))
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def _statuses(answer: bytes) -> list[int]:
    return [int(line.split(b" ")[1]) for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]  # fmt: skip


@pytest.mark.parametrize("mount", MOUNT_NAMES)
@pytest.mark.parametrize("case", list(REQUESTS))
def test_a_half_closed_client_gets_its_answers(
    server: Server, mount: str, case: str
) -> None:
    raw = REQUESTS[case]
    ours = half_closed(server.base(mount), raw)
    theirs = half_closed(server.base("uvicorn"), raw)
    assert _statuses(ours) == _statuses(theirs)
    if theirs:
        assert parse(ours).body == parse(theirs).body
    assert "Traceback" not in server.output()
