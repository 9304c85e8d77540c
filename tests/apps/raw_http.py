"""Raw HTTP for the differential suite: what httpx hides (a response read off a
socket, whether and when the server closed, chunked framing undone by hand), so that
the bridges and the references are compared on the bytes they send."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


def address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def path_of(base: str) -> str:
    return urlsplit(base).path


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    return data


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    return True


def until_closed(sock: socket.socket, data: bytes) -> bytes:
    while chunk := sock.recv(65536):
        data += chunk
    return data


def dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size.split(b";")[0], 16)
        if length == 0:
            break
        out += rest[:length]
        body = rest[length + 2 :]
    return out


def responses(raw: bytes) -> list[tuple[int, bytes]]:
    """The responses on one connection: (status, body), Content-Length or chunked."""
    found = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = dict(
            (k.strip().lower(), v.strip())
            for k, _, v in (h.partition(b":") for h in lines[1:])
        )
        if b"content-length" in headers:
            length = int(headers[b"content-length"])
            body, raw = rest[:length], rest[length:]
        elif headers.get(b"transfer-encoding") == b"chunked":
            body, raw = dechunk(rest), after_last_chunk(rest)
        else:
            body, raw = rest, b""
        found.append((status, body))
    return found


def after_last_chunk(rest: bytes) -> bytes:
    while True:
        size, _, rest = rest.partition(b"\r\n")
        length = int(size.split(b";")[0], 16)
        if length == 0:
            return rest.partition(b"\r\n")[2]
        rest = rest[length + 2 :]
