"""Many WebSockets from one client process, on raw sockets: the opening handshake
(RFC 6455 section 4.1), one masked "ping" text frame sent on every socket, the
echoes read back with one `selectors` loop, and the closing handshake.

Why not the `websockets` client here: with 5,000 connections in one asyncio loop it
spent about as much CPU a message as the servers it measured (a task, a frame built
and parsed, a future a message), so an echo round's p99 was mostly the client's own
queue. Here a round costs the client a `send` and a `recv` a socket: what the
latencies show is the server's.
"""

from __future__ import annotations

import selectors
import socket
import time
from urllib.parse import urlsplit

# A text frame "ping", masked with a fixed key (RFC 6455 section 5.3: the server
# unmasks whatever the key), and the server's unmasked echo of it.
_MASK = b"\x37\xfa\x21\x3d"
PING = b"\x81\x84" + _MASK + bytes(b ^ _MASK[i % 4] for i, b in enumerate(b"ping"))
ECHO = b"\x81\x04ping"
# A close frame with status 1000, masked.
_CODE = (1000).to_bytes(2, "big")
CLOSE = b"\x88\x82" + _MASK + bytes(b ^ _MASK[i] for i, b in enumerate(_CODE))


class HandshakeError(RuntimeError):
    """A server answered an opening handshake with something else than a 101."""


def _request(url: str) -> tuple[tuple[str, int], bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    key = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's example: any 16 bytes will do
    request = (
        f"GET {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    return (host, port), request.encode()


def _read_all(
    sockets: list[socket.socket], enough: bytes | None, deadline: float
) -> dict[socket.socket, tuple[float, bytes]]:
    """Read every socket until what it sent contains `enough` (None: until it ends),
    or it ends: when that was, and the bytes. TimeoutError past `deadline`
    (`time.monotonic`)."""
    got = {s: b"" for s in sockets}
    done: dict[socket.socket, tuple[float, bytes]] = {}
    with selectors.DefaultSelector() as selector:
        for s in sockets:
            selector.register(s, selectors.EVENT_READ, s)
        while len(done) < len(sockets):
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError(f"{len(sockets) - len(done)} sockets unanswered")
            for key, _ in selector.select(wait):
                s = key.data
                chunk = s.recv(65536)
                got[s] += chunk
                if not chunk or (enough is not None and enough in got[s]):
                    done[s] = (time.perf_counter(), got[s])
                    selector.unregister(s)
    return done


def open_many(url: str, count: int, wave: int = 250) -> list[socket.socket]:
    """`count` WebSockets to `url`, opened `wave` at a time (as a busy front end
    would): each connected, its handshake sent, then the wave's 101s read."""
    address, request = _request(url)
    opened: list[socket.socket] = []
    try:
        for at in range(0, count, wave):
            batch = []
            for _ in range(min(wave, count - at)):
                s = socket.create_connection(address, timeout=60)
                s.setblocking(False)
                opened.append(s)
                batch.append(s)
                s.sendall(request)
            for _, answer in _read_all(
                batch, b"\r\n\r\n", time.monotonic() + 60
            ).values():
                if not answer.startswith(b"HTTP/1.1 101 "):
                    raise HandshakeError(answer[:200].decode("latin-1"))
    except BaseException:
        close_many(opened, handshake=False)
        raise
    return opened


def echo_round(sockets: list[socket.socket], timeout: float = 60) -> list[float]:
    """One "ping" sent on every socket, then every echo read: each socket's time
    from its send to its echo, in seconds, sorted."""
    sent = {}
    for s in sockets:
        sent[s] = time.perf_counter()
        s.sendall(PING)  # 10 bytes into an empty buffer: never partial
    answers = _read_all(sockets, ECHO, time.monotonic() + timeout)
    latencies = []
    for s, (at, answer) in answers.items():
        if answer != ECHO:
            raise ValueError(f"not the echo: {answer[:64]!r}")
        latencies.append(at - sent[s])
    return sorted(latencies)


def close_many(sockets: list[socket.socket], handshake: bool = True) -> None:
    """The closing handshake on every socket (the server answers and closes the
    TCP connection first, RFC 6455 section 7.1.1), then the sockets closed."""
    try:
        if handshake:
            for s in sockets:
                s.sendall(CLOSE)
            # The server's close frame, then its end of the connection.
            _read_all(sockets, None, time.monotonic() + 30)
    finally:
        for s in sockets:
            s.close()
