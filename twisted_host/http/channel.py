"""The connection: an `HTTPChannel` that answers every limit with its status code.

Twisted answers an oversized request line or header block with a bare 400 (or a
silent close), has no limit on request bodies, and no deadline for receiving
headers. The channel here applies the edge's rules (`twisted_host.http.rules`) as
Twisted's parser reads each line, answering 414, 431, 413, 408 and 400 with the
contract's error page and closing, as nginx does. Its limits are the Site's settings
(`twisted_host.http.site`); the deadlines are checked by the Site's one sweep.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from twisted.internet.interfaces import IAddress, IHalfCloseableProtocol
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from zope.interface import implementer

from core.settings import Settings
from twisted_host.http import rules
from twisted_host.http.body import StreamingChannel
from twisted_host.http.interfaces import SiteView, Wire


@implementer(IHalfCloseableProtocol)
class TwistbridgeChannel(StreamingChannel):  # an HTTPChannel
    """An `HTTPChannel` that enforces the request line, header and body limits, and
    answers a client that half-closed."""

    site: SiteView  # set by Site.buildProtocol, before the connection is made
    limits: Settings
    websocket: Wire | None = None  # set when a WebSocket took the connection
    read_closed: float | None = None  # when the client half-closed (monotonic)

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

    @property
    def websockets(self) -> list[Wire]:
        return [self.websocket] if self.websocket is not None else []

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
        if self._fresh:
            if line:
                refused = rules.request_line_length(len(line), self.limits)
                if refused is not None:
                    self.refuse_with(refused)
                    return
                self._fresh = False
                self._header_bytes = 0
                self._header_count = 0
        elif line:
            self._header_bytes += len(line) + 2
            self._header_count += 1
            refused = rules.header_block(
                self._header_count, self._header_bytes, self.limits
            ) or rules.field_line(line)
            if refused is not None:
                # Before Twisted's parser sees the line: it would join a folded one
                # to the line before (obs-fold), which llhttp and uvicorn refuse.
                self.refuse_with(refused)
                return
        else:
            self._fresh = True  # the blank line: headers are complete
            self.header_started = None
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        if self._fresh:
            refused = rules.request_line_length(len(line), self.limits)
            self.refuse_with(refused or rules.header_line_length(self.limits))
        else:
            self.refuse_with(rules.header_line_length(self.limits))

    def headerReceived(self, line: bytes) -> bool:
        name, _, value = line.partition(b":")
        lower = name.lower()
        refused = None
        if lower == b"transfer-encoding":
            # Twisted ignores "identity" (on any line), which lets a second request
            # hide in the body: the rule takes one line, "chunked", only.
            refused = rules.transfer_encoding(value, self._has(b"transfer-encoding"))
        elif lower == b"content-length" and value.strip().isdigit():
            # 413 before the body; a length that is no number is Twisted's 400.
            refused = rules.content_length(value, self.limits)
        if refused is not None:
            self.refuse_with(refused)
            return False
        return bool(super().headerReceived(line))

    def checkPersistence(self, request: Any, version: bytes) -> bool:
        # Twisted reads the first Connection line only, split at spaces ("close,
        # keep-alive" is kept open): the rule reads every line, as a list.
        lines = request.requestHeaders.getRawHeaders(b"connection") or []
        if rules.persists(version, lines):
            return True
        request.responseHeaders.setRawHeaders(b"connection", [b"close"])
        return False

    def _has(self, name: bytes) -> bool:
        """The request whose head is arriving has a header `name` already."""
        headers = self.requests[-1].requestHeaders if self.requests else None
        return headers is None or bool(headers.hasHeader(name))

    def _finishRequestBody(self, data: bytes) -> None:
        # The end of a body; for a chunked one, after its trailer section, whose
        # lines Twisted keeps unread (and would accept framing fields in).
        for line in getattr(self._transferDecoder, "_trailerHeaders", ()):
            refused = rules.trailer_field(line)
            if refused is not None:
                self.refuse_with(refused)
                return
        super()._finishRequestBody(data)

    def _respondToBadRequestAndDisconnect(self) -> None:
        # Twisted calls this for every malformed request it detects (bad request line,
        # bad header, conflicting lengths, bad chunks): answer with a page, not bytes.
        self.refuse_with(rules.request_form())

    def refuse_with(self, refused: rules.Refusal) -> None:
        """Give the answer a rule owes, and close."""
        self.refuse(refused.status, refused.detail)

    def takes_body(self, received: int) -> bool:
        """Whether a body of which `received` bytes arrived may go on; if not, it
        is refused now (413), as the bytes arrive (either lane asks)."""
        refused = rules.body_size(received, self.limits)
        if refused is not None:
            self.refuse_with(refused)
            return False
        return True

    def admits(self, head: rules.Head) -> bool:
        """Whether a complete head may go on to its app: not if the connection was
        refused, or a rule of the head refuses it now (either lane asks)."""
        if self.refused:
            return False
        refused = rules.admit(head)
        if refused is not None:
            self.refuse_with(refused)
            return False
        return True

    def refuse(self, status: int, detail: str) -> None:
        """Answer `status` and close; ignore whatever else the client sends."""
        if self.refused:
            return
        self.refused = True
        if self.transport is not None:
            self.transport.write(rules.refusal(status, detail))
        self.loseConnection()

    def check_deadlines(self, now: float) -> None:
        """408 for headers too slow; close a connection idle (or stalled) too long."""
        if self.refused:
            return
        late = rules.header_deadline(self.header_started, now, self.limits)
        if late is not None:
            self.refuse_with(late)
        elif not self.handling and rules.idle_expired(
            self.last_activity, now, self.limits
        ):
            self.loseConnection()
        elif rules.half_close_expired(self.read_closed, now):
            self.loseConnection()  # the apps still answering see the client gone

    def requestDone(self, request: Any) -> None:
        # Before Twisted goes on to a pipelined request, which may start handling.
        self.handling = False
        self.answered = True
        self.last_activity = monotonic()
        super().requestDone(request)
        if self.read_closed is not None:
            # Once the pipelined requests read before the half-close have started
            # (each parser does that as this call unwinds).
            self.callLater(0, self._close_if_answered)

    def readConnectionLost(self) -> None:
        # A client that half-closes (`nc -q0`, some health checkers) has ended its
        # requests, not the answers owed to them (`rules.half_close_expired`).
        # Twisted closed at once, and only an answer written before the end of
        # the bytes arrived (a native page) got out; a bridge's never did.
        self.read_closed = monotonic()
        if "connectionLost" in vars(self):
            # A WebSocket took the connection (Twisted patched the channel): its
            # end, as before.
            if self.transport is not None:
                self.transport.loseConnection()
            return
        self._close_if_answered()

    def writeConnectionLost(self) -> None:
        # The server never half-closes: the interface's other half.
        self.loseConnection()

    def _close_if_answered(self) -> None:
        """Close a half-closed connection once no answer is under way: what is left
        unread is a request that can never complete."""
        if not self.handling and self.transport is not None:
            self.loseConnection()

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
