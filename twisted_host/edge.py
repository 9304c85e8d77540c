"""The Site's HTTP edge: every limit answered with its status code, before any mount.

Twisted answers an oversized request line or header block with a bare 400 (or a
silent close), has no limit on request bodies (large ones spool to a temporary file
before any resource runs), and no deadline for receiving headers. The channel and
request here answer 414, 431, 413, 408 and 400 with the contract's error page and
close, as nginx does; the Site (twisted_host.site) sets the idle timeout and caps
open connections.
"""

from __future__ import annotations

import re
from functools import lru_cache
from http import HTTPStatus
from io import BytesIO
from time import monotonic
from typing import Any

from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import Protocol
from twisted.internet.task import LoopingCall
from twisted.web.http import HTTPChannel
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from core.content import error_page
from core.contract import HTML
from core.settings import Settings

# host, host:port, [v6]:port: RFC 9110's uri-host is wider, but nothing else is a
# name a server here answers to, and a space or "/" in it is an attack.
_HOST = re.compile(
    rb"[A-Za-z0-9._~!$&'()*+,;=%-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


def refusal(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection."""
    body = error_page(status, detail).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"Content-Type: {HTML}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class TwistbridgeChannel(HTTPChannel):
    """An `HTTPChannel` that enforces the request line, header and body limits."""

    limits = Settings()  # the Site sets its own

    def __init__(self) -> None:
        super().__init__()
        self.refused = False
        self._fresh = True  # the next line starts a request
        self._header_bytes = 0
        self._header_count = 0
        # Deadlines are checked by the Site's sweep, not with a timer per request.
        self.header_started: float | None = None  # a request's first byte arrived
        self.last_activity = monotonic()
        self.handling = False  # a request is being answered
        self._host: IAddress | None = None
        self._peer: IAddress | None = None

    def connectionMade(self) -> None:
        limits = self.limits
        # Twisted's own limits sit above ours, so that ours answer first.
        self.MAX_LENGTH = max(limits.max_request_line, limits.max_header_bytes) + 1
        self.totalHeadersSize = limits.max_request_line + limits.max_header_bytes + 1
        self.maxHeaders = limits.max_headers + 1
        super().connectionMade()

    def dataReceived(self, data: bytes) -> None:
        if self.refused:
            return
        now = self.last_activity = monotonic()
        if self._fresh and not self.requests and self.header_started is None:
            self.header_started = now  # its headers have header_timeout seconds
        super().dataReceived(data)

    def rawDataReceived(self, data: bytes) -> None:
        if not self.refused:
            super().rawDataReceived(data)

    def lineReceived(self, line: bytes) -> None:
        if self.refused:
            return
        limits = self.limits
        if self._fresh:
            if line:
                if len(line) > limits.max_request_line:
                    self.refuse(
                        414,
                        f"The request line is over {limits.max_request_line} bytes.",
                    )
                    return
                self._fresh = False
                self._header_bytes = 0
                self._header_count = 0
        elif line:
            self._header_bytes += len(line) + 2
            self._header_count += line[:1] not in b" \t"  # not a continuation
            if self._header_bytes > limits.max_header_bytes:
                self.refuse(
                    431, f"The headers are over {limits.max_header_bytes} bytes."
                )
                return
            if self._header_count > limits.max_headers:
                self.refuse(431, f"There are over {limits.max_headers} headers.")
                return
        else:
            self._fresh = True  # the blank line: headers are complete
            self.header_started = None
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        if self._fresh:
            self.refuse(
                414, f"The request line is over {self.limits.max_request_line} bytes."
            )
        else:
            self.refuse(431, f"A header is over {self.limits.max_header_bytes} bytes.")

    def headerReceived(self, line: bytes) -> bool:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            value = value.strip()
            if value.isdigit() and int(value) > self.limits.max_body_size:
                # 413 before a byte of the body is read.
                self.refuse(413, f"The body is over {self.limits.max_body_size} bytes.")
                return False
        if not super().headerReceived(line):
            return False
        # The ASGI scope lists headers as received; Twisted's Headers group them.
        self.requests[-1].received_headers.append((name.lower(), value.strip(b" \t")))
        return True

    def _respondToBadRequestAndDisconnect(self) -> None:
        # Twisted calls this for every malformed request it detects (bad request line,
        # bad header, conflicting lengths, bad chunks): answer with a page, not bytes.
        self.refuse(400, "The request is malformed.")

    def refuse(self, status: int, detail: str) -> None:
        """Answer `status` and close; ignore whatever else the client sends."""
        if self.refused:
            return
        self.refused = True
        if self.transport is not None:
            self.transport.write(refusal(status, detail))
        self.loseConnection()

    def check_deadlines(self, now: float) -> None:
        """408 for headers too slow; close a connection idle (or stalled) too long."""
        if self.refused:
            return
        limits = self.limits
        started = self.header_started
        if started is not None and now - started > limits.header_timeout:
            self.refuse(408, f"The headers took over {limits.header_timeout:g} s.")
        elif not self.handling and now - self.last_activity > limits.idle_timeout:
            self.loseConnection()

    def requestDone(self, request: Any) -> None:
        # Before Twisted goes on to a pipelined request, which may start handling.
        self.handling = False
        self.last_activity = monotonic()
        super().requestDone(request)

    def getHost(self) -> IAddress:
        # Twisted asks for every request (a getsockname call each): once will do.
        if self._host is None:
            self._host = super().getHost()
        return self._host

    def getPeer(self) -> IAddress:
        if self._peer is None:
            self._peer = super().getPeer()
        return self._peer

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        self.notifyLost(self)

    def notifyLost(self, channel: TwistbridgeChannel) -> None:
        """Replaced by the Site, which counts open connections."""


class TwistbridgeRequest(Request):
    """A request that refuses bodies over the limit as they arrive (chunked ones
    included) and checks what Twisted lets through: `Host` and the request target.
    The channel lists its headers as received, for the ASGI scope."""

    _received = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received_headers: list[tuple[bytes, bytes]] = []

    @property
    def _refused(self) -> bool:
        channel = self.channel
        return channel is None or getattr(channel, "refused", False)

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused:
            return
        self._received += len(data)
        limit = self.channel.limits.max_body_size
        if self._received > limit:
            self.channel.refuse(413, f"The body is over {limit} bytes.")
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if self._refused:
            return
        problem = _problem(
            command, path, version, self.requestHeaders.getRawHeaders(b"host")
        )
        if problem:
            self.channel.refuse(400, problem)
            return
        self.channel.handling = True
        super().requestReceived(command, path, version)


@lru_cache(maxsize=256)
def _valid_host(value: bytes) -> bool:
    return _HOST.fullmatch(value) is not None


def _problem(
    command: bytes, target: bytes, version: bytes, hosts: list[bytes] | None
) -> str | None:
    """Why a request must be refused with 400, or None."""
    if version == b"HTTP/1.1" and not hosts:
        return "An HTTP/1.1 request needs a Host header."
    if hosts and (len(hosts) > 1 or not _valid_host(hosts[0])):
        return "The Host header is not one valid host."
    if target.startswith(b"/"):
        return None
    if target == b"*" and command == b"OPTIONS":
        return None
    if target.startswith((b"http://", b"https://")):
        return None
    return "The request target is not a path."


class EdgeSite(Site):
    """A Site with the edge's channel and request, an idle timeout, bodies held in
    memory (they are bounded) and a cap on open connections."""

    protocol = TwistbridgeChannel
    requestFactory = TwistbridgeRequest

    def __init__(self, resource: Resource, settings: Settings) -> None:
        # No Twisted timeout: it costs two timer operations per request; one sweep
        # over the connections enforces both deadlines instead.
        super().__init__(resource, timeout=None)
        self.settings = settings
        self.connections: set[TwistbridgeChannel] = set()
        self._sweep = LoopingCall(self.check_deadlines)

    def startFactory(self) -> None:
        super().startFactory()
        shortest = min(self.settings.header_timeout, self.settings.idle_timeout)
        self._sweep.start(min(max(shortest / 4, 0.05), 1.0), now=False)

    def stopFactory(self) -> None:
        if self._sweep.running:
            self._sweep.stop()
        super().stopFactory()

    def check_deadlines(self) -> None:
        now = monotonic()
        for channel in list(self.connections):
            channel.check_deadlines(now)

    def buildProtocol(self, addr: IAddress) -> Protocol | None:
        if len(self.connections) >= self.settings.max_connections:
            return Overloaded()
        channel = super().buildProtocol(addr)
        channel.limits = self.settings
        self.connections.add(channel)
        channel.notifyLost = self.connections.discard
        return channel  # type: ignore[no-any-return]

    def getContentFile(self, length: int | None) -> BytesIO:
        # Never a temporary file: the body limit keeps every body small.
        return BytesIO()


class Overloaded(Protocol):
    """What a connection over the Site's cap gets: 503, then the door."""

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.write(refusal(503, "Too many open connections; try again."))
        self.transport.loseConnection()
