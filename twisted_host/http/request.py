"""The request: what Twisted lets through that the edge refuses (bodies over the
limit as they arrive, chunked ones included; a bad `Host`; a target that is not a
path), the hook through which the Site's observer (the dashboard's figures) sees
each request start and end, and the early dispatch of a request whose resource
takes its body as it arrives (`twisted_host.http.body`)."""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic, time
from typing import cast
from urllib.parse import unquote_to_bytes

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress
from twisted.python.failure import Failure
from twisted.web.http import datetimeToString, parse_qs
from twisted.web.resource import _IEncodingResource
from twisted.web.server import Site
from twisted.web.server import version as server_version

from core.contract import HTML
from twisted_host.http import rules
from twisted_host.http.body import BodyStream
from twisted_host.http.headers import OrderedHeadersRequest, received_headers
from twisted_host.http.interfaces import Edge, RequestObserver, SiteView


class TwistbridgeRequest(OrderedHeadersRequest):
    """A request that refuses bodies over the limit and checks `Host` and the target,
    with its headers in the order they arrived (for the ASGI scope)."""

    lane = "resource"  # which lane served it (`twisted_host.http.lanes`)
    _received = 0
    _observer: RequestObserver | None = None
    _token: object = None
    _scheme: str | None = None  # from a trusted proxy's headers
    body_stream: BodyStream | None = None  # the body, for a resource that streams
    received_at = 0.0  # monotonic seconds when handed to its resource (the log's)
    _site: SiteView | None = None  # while it counts as in flight there
    mount: str | None = None  # the prefix that served it, "" for `/` (`routing`)
    head: rules.Head | None = None  # as the C parser read it (`lanes`), else made here

    @property
    def edge(self) -> Edge | None:
        """The connection, while it lasts (Twisted sets `channel` to None after, or
        deletes it once the answer is done)."""
        return cast("Edge | None", getattr(self, "channel", None))

    @property
    def _refused(self) -> bool:
        channel = self.edge
        return channel is None or channel.refused

    def handleContentChunk(self, data: bytes) -> None:
        if self.body_stream is not None:
            self.body_stream.feed(data)  # it enforces the limit, answered or not
            return
        channel = self.edge
        if channel is None or channel.refused:
            return
        self._received += len(data)
        if not channel.takes_body(self._received):
            return
        super().handleContentChunk(data)

    def dispatch_early(
        self, command: bytes, path: bytes, version: bytes, expect_continue: bool
    ) -> bool:
        """At the end of the headers of a request with a body: if its resource
        streams bodies, hand it the request now, with a `body_stream` to read."""
        channel = self._admitted(command, path, version)
        if channel is None or path == b"*":
            return False
        self.method, self.uri, self.clientproto = command, path, version
        self.path, _, query = path.partition(b"?")
        self.args = parse_qs(query, 1)
        self.prepath = []
        self.postpath = _segments(self.path)
        try:
            resource = channel.site.getResourceFor(self)
        except Exception:
            return False  # process() meets the failure again, and answers 500
        if not getattr(resource, "streams_body", False) or channel.site.saturated:
            # Read whole first; process() finds the resource again (or refuses it).
            return False
        self.body_stream = BodyStream(channel, self, expect_continue)
        channel.handling = True
        self._observe()
        self._default_headers()
        try:
            self.render(resource)
        except BaseException:
            self.processingFailed(Failure())
        return True

    def process(self) -> None:
        """Twisted's `Request.process`, with the Date header made once a second and
        path segments unquoted only when they hold a "%" (the two were a tenth of the
        edge's time per request in a profile of `/asgi/hello`)."""
        self._observe()
        # The Site is a twisted.web Site (`http.site`), typed by its view here.
        site = self.site = cast("Site", cast("Edge", self.channel).site)
        self._default_headers()
        counted = self._site  # by the Site while in flight (`_observe`)
        over = counted and rules.concurrency(counted.in_flight, counted.settings)
        if over:
            self._refuse_over_limit(over)
            return
        self.prepath = []
        self.postpath = _segments(self.path)
        if self.path == b"*":
            self._handleStar()
            return
        try:
            resource = site.getResourceFor(self)
            if _IEncodingResource.providedBy(resource):
                encoder = resource.getEncoder(self)
                if encoder is not None:
                    self._encoder = encoder
            self.render(resource)
        except BaseException:
            self.processingFailed(Failure())

    def _default_headers(self) -> None:
        # Stored as `setHeader` stores them (names canonical, values checked once:
        # ours), without its per-call encoding and checks, which cost more.
        raw = self.responseHeaders._rawHeaders
        raw[b"Server"] = [server_version]
        raw[b"Date"] = [_date()]
        channel = self.edge
        if channel is not None and channel.site.settings.show_lane:
            raw[b"X-Twistbridge-Lane"] = [b"resource"]

    def parseCookies(self) -> None:
        # Twisted's raises and catches a ValueError for every ";" without a "=" (32 KiB
        # of ";" cost 15 ms of the reactor): the same pairs, without the exceptions.
        for header in self.requestHeaders.getRawHeaders(b"cookie") or ():
            if b"=" not in header:
                continue
            for cookie in header.split(b";"):
                name, equals, value = cookie.lstrip().partition(b"=")
                if equals:
                    self.received_cookies[name] = value

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if self.body_stream is not None:
            self.body_stream.end()  # dispatched when its headers were in
            return
        channel = self._admitted(command, path, version)
        if channel is None:
            return
        channel.handling = True
        super().requestReceived(command, path, version)

    def _admitted(self, command: bytes, path: bytes, version: bytes) -> Edge | None:
        """The channel, if the request may go on; else None (refused by a rule)."""
        channel = self.edge
        if channel is None:
            return None
        head = self.head or rules.Head(command, path, version, received_headers(self))
        return channel if channel.admits(head) else None

    def _refuse_over_limit(self, over: rules.Refusal) -> None:
        # uvicorn's --limit-concurrency: 503 at once, before any resource runs.
        body = over.page().encode()
        self.setResponseCode(over.status)
        self.setHeader(b"retry-after", b"1")
        self.setHeader(b"content-type", HTML.encode())
        self.setHeader(b"content-length", b"%d" % len(body))
        self.write(body)
        self.finish()

    def _observe(self) -> None:
        self.received_at = monotonic()
        channel = self.edge
        if channel is not None:  # counted by the Site until it ends
            self._site = channel.site
            self._site.in_flight += 1
        proxy = channel.site.proxy if channel is not None else None
        if proxy is not None:
            self._forwarded(proxy)  # before anything reads the client
        observer = channel.site.observer if channel is not None else None
        if observer is not None:
            self._observer = observer
            self._token = observer.start(self.path)

    def _forwarded(self, proxy: rules.ProxyHeaders) -> None:
        client, self._scheme = forwarded(proxy, self.getClientAddress(), self._values)
        if client is not None:
            self.client = client

    def _values(self, name: bytes) -> list[bytes]:
        if self.head is not None:  # the same fields, without Headers' name encoding
            return self.head.values(name)
        return list(self.requestHeaders.getRawHeaders(name) or ())

    @property
    def response_type(self) -> bytes:
        """The answer's Content-Type, b"" until it has one (the dashboard's)."""
        values = self.responseHeaders.getRawHeaders(b"content-type")
        return values[0] if values else b""

    def isSecure(self) -> bool:
        # The scheme a trusted proxy says the client used (`http.proxy`), if any.
        if self._scheme is None:
            return bool(super().isSecure())
        return self._scheme in ("https", "wss")

    def finish(self) -> None:
        super().finish()
        self._ended()

    def connectionLost(self, reason: Failure) -> None:
        super().connectionLost(reason)
        if self.body_stream is not None:
            self.body_stream.interrupt(reason)
        self._ended()

    def _ended(self) -> None:
        # Either end may come first, or both: the Site and the observer hear of it once.
        site, self._site = self._site, None
        if site is not None:
            site.request_ended()
        observer, self._observer = self._observer, None
        if observer is not None:
            # A request whose client left before the answer: nginx's 499.
            observer.end(self._token, self.method, self.code if self.finished else 499)


def forwarded(
    proxy: rules.ProxyHeaders, peer: IAddress, values: Callable[[bytes], list[bytes]]
) -> tuple[IAddress | None, str | None]:
    """The client address and the scheme a trusted proxy's headers give (each None
    where the connection's own stands), for a request of either lane."""
    if not isinstance(peer, IPv4Address | IPv6Address):
        return None, None
    client, scheme = proxy.read(peer.host, values)
    if client is None:
        return None, scheme
    host, port = client
    kind = IPv6Address if ":" in host else IPv4Address
    return kind("TCP", host, port), scheme


def _segments(path: bytes) -> list[bytes]:
    """The path's segments after the first "/", each unquoted (`postpath`)."""
    return [unquote_to_bytes(s) if b"%" in s else s for s in path[1:].split(b"/")]


_date_second = -1  # the second the Date value below was made for
_date_value = b""


def _date() -> bytes:
    """The Date header's value, formatted once per second (RFC 9110 section 6.6.1:
    a second's resolution)."""
    global _date_second, _date_value
    second = int(time())
    if second != _date_second:
        _date_second, _date_value = second, datetimeToString(second)
    return _date_value
