"""The HTTP/1.1 client of the load engine: one asyncio Protocol per connection, one
request at a time, responses parsed by httptools (the parser uvicorn uses)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools


class BadTarget(ValueError):
    """The URL cannot be loaded; str() is the one-line reason."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str  # with the query string

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise BadTarget(f"{url!r} is not an http:// URL")
        host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            # A load generator pointed at someone else's server is an attack tool.
            raise BadTarget(f"{url!r}: only loopback addresses (127.0.0.1, ::1)")
        try:
            port = parts.port or 80
        except ValueError as bad:
            raise BadTarget(f"{url!r}: {bad}") from None
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return cls(host, port, path)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    def request(self, keepalive: bool = True) -> bytes:
        host = f"[{self.host}]" if ":" in self.host else self.host
        # Only what HTTP/1.1 requires, as wrk sends: every extra header is parsing
        # work for the server, and the engine must measure what wrk measures.
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {host}:{self.port}"]
        if not keepalive:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class ResponseClosed(ConnectionError):
    """The connection ended before a whole response arrived."""


class BadResponse(ValueError):
    """The server's bytes are not an HTTP/1.x response."""


class Connection(asyncio.Protocol):
    """One client connection; `exchange()` sends a request and waits for the response.

    Callbacks instead of streams: a StreamReader costs several objects and copies per
    response, and the engine's CPU must stay well below the server's.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[int] | None = None
        self.keepalive = True
        self.closed = False
        self.timed_out = False  # set by the engine's sweeper before it aborts us
        self._headers_done = False
        self._framed = False  # Content-Length or chunked: the end is known

    @classmethod
    async def open(cls, target: Target, timeout: float) -> Connection:
        loop = asyncio.get_running_loop()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(lambda: cls(loop), target.host, target.port),
            timeout,
        )
        return protocol

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Small requests must leave at once, not wait for the previous ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(BadResponse("unexpected protocol upgrade"))
        except httptools.HttpParserError as bad:
            self._fail(BadResponse(str(bad)))

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiting = self.waiter is not None and not self.waiter.done()
        if self._headers_done and not self._framed and waiting:
            assert self.waiter is not None
            # A body delimited by the end of the connection (no length, not chunked).
            self.waiter.set_result(self.parser.get_status_code())
            return
        self._fail(ResponseClosed(str(exc) if exc else "connection closed"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._framed = False

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_message_complete(self) -> None:
        self.keepalive = self.parser.should_keep_alive()
        self._headers_done = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(self.parser.get_status_code())

    def _fail(self, error: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)
        if self.transport is not None:
            self.transport.abort()

    async def exchange(self, request: bytes) -> int:
        """Send one request; the response's status code once it has fully arrived."""
        if self.closed or self.transport is None:
            raise ResponseClosed("connection closed")
        self.waiter = self.loop.create_future()
        self.transport.write(request)
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()
