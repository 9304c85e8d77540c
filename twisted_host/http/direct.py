"""The direct lane: a request for a bridge (ASGI or WSGI), answered without a
`twisted.web` `Request`.

A `Request` costs, per request, its construction (some forty attributes), a
`Headers` object each way, `requestReceived`/`process`/`render`/`finish`, a
`notifyFinish` Deferred and the walk of the resource tree: most of a small answer's
time on the bridges (docs/LANES.md has the profile). A bridge needs none of it: its
app reads the head (scope or environ) and writes a status, headers and a body. So
the C parser's channel (`httptools_impl`) makes a `DirectRequest` for a request
whose target lies under a bridge's mount (`lanes`): the head as the parser gave it,
and an answer written to the transport as one status line and header block.

It stands in the channel's queue as a `Request` does (pipelining order, persistence,
the body's backpressure, `connectionLost`), and keeps what the resource lane does for
every request: the edge's checks of the head, the proxy headers, the observer's start
and end (`/stats`, `/metrics`, the dashboard), the access log, the Server and Date
headers, chunked framing when the app gives no length, HEAD and 204/304 without a
body, and the response header values cleaned of line breaks as `Headers` cleans them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from io import BytesIO
from time import monotonic
from typing import Any, Protocol

from twisted.internet.interfaces import IAddress, IPushProducer
from twisted.python.failure import Failure
from twisted.web.http import NO_BODY_CODES, RESPONSES
from twisted.web.http_headers import _nameEncoder
from twisted.web.server import version as server_version

from twisted_host.http import rules
from twisted_host.http.body import BodyStream
from twisted_host.http.interfaces import Bridge, Edge, RequestObserver
from twisted_host.http.request import _date, forwarded

_LANE_HEADER = b"X-Twistbridge-Lane: direct\r\n"  # under --show-lane


class Channel(Edge, Protocol):
    """The HTTP/1.1 channel (`http.httptools_impl`) as a direct request uses it."""

    def getPeer(self) -> IAddress: ...

    def getHost(self) -> IAddress: ...

    def isSecure(self) -> bool: ...

    def requestDone(self, request: Any) -> None: ...  # Any: Twisted's, untyped

    def registerProducer(self, producer: IPushProducer, streaming: bool) -> None: ...

    def unregisterProducer(self) -> None: ...


class DirectRequest:
    """One request on the direct lane (see the module): what the channel feeds and
    queues, and what a bridge reads the head from and writes the answer to."""

    lane = "direct"

    def __init__(
        self,
        channel: Channel,
        bridge: Bridge,
        root: bytes,
        head: rules.Head,
    ) -> None:
        """`head`: as parsed, its field names lower-cased; `root`: the mount's
        prefix (b"/asgi")."""
        self.channel = channel
        self.bridge = bridge
        self.root = root
        self.mount = root.decode("ascii")[1:]  # as `routing` names it: "" for /
        self.received_at = 0.0  # monotonic seconds when handed to its bridge
        self._counted = False  # in the Site's requests in flight
        self.head = head
        self.method, self.uri, self.clientproto = head.method, head.target, head.version
        self.headers = head.fields
        self.path, _, self.query = self.uri.partition(b"?")
        self.persistent = True  # the connection outlives it (the channel's rule)
        self.client: IAddress = channel.getPeer()
        self.scheme: str | None = None  # a trusted proxy's, if it gave one
        self.code = 200
        self.response_type = b""  # the answer's Content-Type (the dashboard's)
        self.sentLength = 0
        self.startedWriting = False
        self.finished = False
        self.gone = False  # the connection was lost before the answer was done
        self.body_stream: BodyStream | None = None
        self.content: BytesIO | None = None  # body read ahead of its turn
        self._received = 0
        self._pending: bytes | None = None  # the status line and headers, unsent
        self._chunked = False
        self._silent = False  # HEAD, 204, 304: no body goes out
        self._on_lost: Callable[[], None] | None = None
        self._observer: RequestObserver | None = None
        self._token: object = None

    # --- the channel's side --------------------------------------------------------

    def handleContentChunk(self, data: bytes) -> None:
        if self.body_stream is not None:
            self.body_stream.feed(data)  # it enforces the limit
            return
        channel = self.channel
        if channel.refused:
            return
        self._received += len(data)
        if not channel.takes_body(self._received):
            return
        if self.content is None:
            self.content = BytesIO()
        self.content.write(data)

    def dispatch_early(
        self, command: bytes, path: bytes, version: bytes, expect_continue: bool
    ) -> bool:
        """At the end of the headers of a request with a body: hand it to the
        bridge now, its body to come through `body_stream`."""
        channel = self.channel
        if not channel.admits(self.head):
            return False
        if channel.site.saturated:
            return False  # read whole first, then refused (`_start`), as a Request is
        self.body_stream = BodyStream(channel, self, expect_continue)
        self._start()
        return True

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if self.body_stream is not None:
            self.body_stream.end()  # dispatched when its headers were in
        elif self.channel.admits(self.head):
            self._start()

    def connectionLost(self, reason: Failure) -> None:
        if self.finished or self.gone:
            return
        self.gone = True
        if self.body_stream is not None:
            self.body_stream.interrupt(reason)
        self._ended(499)  # nginx's code for a client that left before the answer
        on_lost, self._on_lost = self._on_lost, None
        if on_lost is not None:
            on_lost()

    def _start(self) -> None:
        channel = self.channel
        channel.handling = True
        site = channel.site
        self.received_at = monotonic()
        site.in_flight += 1
        self._counted = True
        if site.proxy is not None:
            client, self.scheme = forwarded(site.proxy, self.client, self.values)
            if client is not None:
                self.client = client
        if site.observer is not None:
            self._observer = site.observer
            self._token = site.observer.start(self.path)
        over = rules.concurrency(site.in_flight, site.settings)
        if over is not None:
            self._refuse(over)
            return
        self.bridge.serve(self)

    def _refuse(self, over: rules.Refusal) -> None:
        """uvicorn's --limit-concurrency: 503 before the bridge runs, as the
        resource lane answers it (`TwistbridgeRequest._refuse_over_limit`)."""
        body, headers = rules.over_limit(over)
        self.start(over.status, headers)
        self.write(body)
        self.finish()

    # --- the head, for the bridge and the access log -------------------------------

    def values(self, name: bytes) -> list[bytes]:
        """Every value of a (lower-case) header name, in order of arrival."""
        return self.head.values(name)

    def getHeader(self, name: bytes) -> bytes | None:
        """The last value of a (lower-case) header name, as `Request.getHeader`."""
        values = self.values(name)
        return values[-1] if values else None

    def getClientAddress(self) -> IAddress:
        return self.client

    def getHost(self) -> IAddress:
        return self.channel.getHost()

    def isSecure(self) -> bool:
        if self.scheme is None:
            return bool(self.channel.isSecure())
        return self.scheme in ("https", "wss")

    # --- the answer, from the bridge -----------------------------------------------

    def start(
        self,
        status: int,
        headers: Iterable[tuple[bytes, bytes]],
        reason: bytes | None = None,
    ) -> None:
        """The status (with the app's reason phrase, or the standard one) and the
        app's headers; sent with the first write."""
        self.code = status
        if reason is None:
            reason = RESPONSES.get(status, b"Unknown Status")
        lines = [
            b"%s %d %s\r\nServer: %s\r\nDate: %s\r\n"
            % (self.clientproto, status, reason, server_version, _date())
        ]
        length = False
        for name, value in headers:
            if type(value) is not bytes:  # ASGI allows any bytes-like value
                value = bytes(value)
            canonical = _nameEncoder.encode(bytes(name))  # cached; raises if bad
            if b"\r" in value or b"\n" in value:
                value = b" ".join(value.splitlines())  # as `Headers` stores it
            lines.append(b"%s: %s\r\n" % (canonical, value))
            if canonical == b"Content-Length":
                length = True
            elif canonical == b"Content-Type" and not self.response_type:
                self.response_type = value
        self._silent = self.method == b"HEAD" or status in NO_BODY_CODES
        if not length and self.clientproto == b"HTTP/1.1" and not self._silent:
            self._chunked = True
            lines.append(b"Transfer-Encoding: chunked\r\n")
        if not self.persistent:
            lines.append(b"Connection: close\r\n")
        if self.channel.site.settings.show_lane:
            lines.append(_LANE_HEADER)
        lines.append(b"\r\n")
        self._pending = b"".join(lines)

    def write(self, data: bytes) -> None:
        """Body bytes (the head goes with the first); nothing once the client left."""
        transport = self.channel.transport
        if self.gone or transport is None:
            return
        head, self._pending = self._pending, None
        self.startedWriting = True
        if self._silent or not data:
            if head is not None:
                transport.write(head)
            return
        self.sentLength += len(data)
        if self._chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        transport.write(data if head is None else head + data)

    def finish(self) -> None:
        """The answer is complete: the next request of the connection may go."""
        if self.gone or self.finished:
            return
        if self._pending is not None:
            self.write(b"")
        transport = self.channel.transport
        if self._chunked and transport is not None:
            transport.write(b"0\r\n\r\n")
        site = self.channel.site
        site.log(self)
        self.finished = True
        # Never called now. Kept, it held the bridge's answer, which holds this:
        # a cycle, left to a full collection of the garbage collector.
        self._on_lost = None
        self._ended(self.code)
        self.channel.requestDone(self)

    def abort(self) -> None:
        """Cut the connection: the client sees an answer that stops short."""
        self.channel.loseConnection()

    def register(self, producer: IPushProducer) -> None:
        """The bridge's producer, paused while the client reads slowly."""
        channel = self.channel
        channel.registerProducer(producer, True)
        # A pipelined request may start while an earlier answer still fills the
        # transport's buffer: the channel does not tell a new producer so.
        if channel._waitingForTransport:
            producer.pauseProducing()

    def unregister(self) -> None:
        self.channel.unregisterProducer()

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Call `callback` if the client leaves before the answer is done."""
        self._on_lost = callback

    def _ended(self, code: int) -> None:
        if self._counted:
            self._counted = False
            self.channel.site.request_ended()
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.end(self._token, self.method, code)
