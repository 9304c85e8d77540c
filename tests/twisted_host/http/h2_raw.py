"""A raw HTTP/2 client for the flood, budget and property tests: a TLS connection
that negotiated h2 (with h2's client state, or none), the ways a server ends it, and
floods sent with or without reading between sends."""

from __future__ import annotations

import select
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress

import h2.config
import h2.connection
import h2.events
import httpx
from h2.errors import ErrorCodes

from core.content import HELLO
from tests.servers import Certificates, Server

SENT_AT_MOST = 1_000_000  # frames a flood may send before the test gives up
# What sending raises once the server has closed (its GOAWAY still to be read).
CLOSED = (BrokenPipeError, ConnectionResetError, ssl.SSLError)


@contextmanager
def alpn_h2(
    server: Server, certificates: Certificates, receive_buffer: int | None = 4096
) -> Iterator[ssl.SSLSocket]:
    """A TLS connection that negotiated h2 and has sent nothing yet, with a small
    receive buffer (a client that reads nothing fills the server's buffers sooner),
    or the system's."""
    host, port = server.url.removeprefix("https://").rstrip("/").split(":")
    context = certificates.client_context()
    context.set_alpn_protocols(["h2"])
    raw = socket.socket()
    if receive_buffer is not None:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    raw.settimeout(10)
    raw.connect((host, int(port)))
    with context.wrap_socket(raw, server_hostname=host) as tls:
        assert tls.selected_alpn_protocol() == "h2"
        yield tls


@contextmanager
def h2_client(
    server: Server, certificates: Certificates, receive_buffer: int | None = 4096
) -> Iterator[tuple[ssl.SSLSocket, h2.connection.H2Connection]]:
    """`alpn_h2`'s connection, with h2's client state, its preface sent."""
    with alpn_h2(server, certificates, receive_buffer) as tls:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        tls.sendall(conn.data_to_send())
        yield tls, conn


def request(path: str) -> list[tuple[str, str]]:
    return [
        (":method", "GET"),
        (":path", path),
        (":scheme", "https"),
        (":authority", "127.0.0.1"),
    ]


def ending(tls: ssl.SSLSocket, conn: h2.connection.H2Connection) -> str:
    """How the server ended the connection: "goaway <code>" or "closed"."""
    tls.settimeout(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            data = tls.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            return "closed"
        if not data:
            return "closed"
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                return f"goaway {ErrorCodes(event.error_code).name}"
    return "still open"


def flood(tls: ssl.SSLSocket, frames: bytes, per_send: int) -> int:
    """Send `frames` until the server stops taking them; how many were sent."""
    sent = 0
    try:
        while sent < SENT_AT_MOST:
            tls.sendall(frames)
            sent += per_send
    except (*CLOSED, TimeoutError):
        pass
    return sent


class GoawayWatch:
    """The server's frames, read as frames only (no client state, which would
    refuse answers to streams a flood sent raw): its GOAWAY's error code, once."""

    def __init__(self) -> None:
        self.buffer = b""
        self.answered: set[int] = set()  # the streams it sent HEADERS on

    def feed(self, data: bytes) -> str | None:
        self.buffer += data
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                break
            kind, payload = self.buffer[3], self.buffer[9 : 9 + length]
            if kind == 0x1:
                self.answered.add(int.from_bytes(self.buffer[5:9], "big") & 2**31 - 1)
            self.buffer = self.buffer[9 + length :]
            if kind == 0x7:  # GOAWAY: last stream id, then the error code
                return f"goaway {ErrorCodes(int.from_bytes(payload[4:8], 'big')).name}"
        return None


def sent_reading(tls: ssl.SSLSocket, payloads: Iterable[bytes]) -> tuple[int, str]:
    """Send each payload, reading what comes back between sends (a client that
    reads), until the server ends the connection: the payloads sent, and how it
    ended ("goaway <code>", "closed" or "still open")."""
    sent, watch = 0, GoawayWatch()
    tls.settimeout(10)
    with suppress(*CLOSED):
        for payload in payloads:
            tls.sendall(payload)
            sent += 1
            while tls.pending() or select.select([tls], [], [], 0)[0]:
                data = tls.recv(65536)
                ended = watch.feed(data) if data else "closed"
                if ended:
                    return sent, ended
        while data := tls.recv(65536):
            if ended := watch.feed(data):
                return sent, ended
        return sent, "closed"
    return sent, "closed"


def still_serving(server: Server, certificates: Certificates) -> None:
    with httpx.Client(http2=True, verify=certificates.client_context()) as client:
        reply = client.get(server.base("native") + "/hello")
    assert (reply.http_version, reply.text) == ("HTTP/2", HELLO)
    assert "Traceback" not in server.output()
