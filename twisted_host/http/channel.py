"""The connection: an `HTTPChannel` that answers every limit with its status code.

Twisted answers an oversized request line or header block with a bare 400 (or a
silent close), has no limit on request bodies, and no deadline for receiving
headers. The channel here answers 414, 431, 413, 408 and 400 with the contract's
error page and closes, as nginx does. Its limits are the Site's settings
(`twisted_host.http.site`); the deadlines are checked by the Site's one sweep.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from time import monotonic
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure

from core.content import error_page
from core.contract import HTML
from core.settings import Settings
from twisted_host.http.body import StreamingChannel

if TYPE_CHECKING:
    from twisted_host.http.site import TwistbridgeSite
    from twisted_host.http.websocket import WireProtocol

# RFC 9110 section 5: field-name ":" OWS field-value OWS; a name is a token, a value
# has no control byte but HTAB.
_FIELD_LINE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*")

# "close" as one member of a Connection list (searched in C: a list may be long).
_CLOSE = re.compile(rb"(?:^|,)[ \t]*close[ \t]*(?:,|$)", re.IGNORECASE)


def persists(version: bytes, connection: Iterable[bytes]) -> bool:
    """Whether a connection stays open after this request's answer, from its version
    and its Connection lines. Twisted reads the first line only, split at spaces
    ("close, keep-alive" is kept open). RFC 9110 section 7.6.1: a list, over any
    number of lines; "close" in any of them ends the connection (as uvicorn)."""
    return version == b"HTTP/1.1" and not any(map(_CLOSE.search, connection))


def refusal(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection."""
    body = error_page(status, detail).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"Content-Type: {HTML}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class TwistbridgeChannel(StreamingChannel):  # an HTTPChannel
    """An `HTTPChannel` that enforces the request line, header and body limits."""

    site: TwistbridgeSite  # set by Site.buildProtocol, before the connection is made
    limits: Settings
    websocket: WireProtocol | None = None  # set when a WebSocket took the connection

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
        self.answered = False  # a request has been answered (a graceful stop reads it)
        self._host: IAddress | None = None
        self._peer: IAddress | None = None

    def connectionMade(self) -> None:
        limits = self.limits = self.site.settings
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
        if not _FIELD_LINE.fullmatch(line):
            # Twisted refuses NUL, CR and LF in a value only; RFC 9110 section 5.5
            # allows no control byte but HTAB (h11 and uvicorn: 400).
            self.refuse(400, "A header field is malformed.")
            return False
        name, _, value = line.partition(b":")
        if name.lower() == b"transfer-encoding" and not self._chunked_alone(value):
            # RFC 9112 section 6.3: unless chunked is the final coding, the body's
            # length cannot be known; a server MUST answer 400 and close. Twisted
            # ignores "identity" (on any line), which lets a second request hide in
            # the body. As h11 does, accept one line, "chunked" in any case, only.
            self.refuse(400, "Transfer-Encoding must be chunked, alone.")
            return False
        if name.strip().lower() == b"content-length":
            value = value.strip()
            if value.isdigit() and int(value) > self.limits.max_body_size:
                # 413 before a byte of the body is read.
                self.refuse(413, f"The body is over {self.limits.max_body_size} bytes.")
                return False
        return bool(super().headerReceived(line))

    def checkPersistence(self, request: Any, version: bytes) -> bool:
        lines = request.requestHeaders.getRawHeaders(b"connection") or []
        if persists(version, lines):
            return True
        request.responseHeaders.setRawHeaders(b"connection", [b"close"])
        return False

    def _chunked_alone(self, value: bytes) -> bool:
        """The request's first Transfer-Encoding line, and its value is `chunked`."""
        headers = self.requests[-1].requestHeaders if self.requests else None
        if headers is None or headers.hasHeader(b"transfer-encoding"):
            return False
        return value.strip(b" \t").lower() == b"chunked"

    def _finishRequestBody(self, data: bytes) -> None:
        # The end of a body; for a chunked one, after its trailer section, whose
        # lines Twisted keeps unread. RFC 9112 section 7.1.2: each is a field line;
        # anything else is a malformed message (h11 and uvicorn: 400).
        trailers = getattr(self._transferDecoder, "_trailerHeaders", ())
        if not all(_FIELD_LINE.fullmatch(line) for line in trailers):
            self.refuse(400, "A trailer field is malformed.")
            return
        super()._finishRequestBody(data)

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
        self.answered = True
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

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        super().connectionLost(reason)
        self.site.connection_lost(self)
