"""The Site: the edge's channel and request, a cap on open connections, one sweep for
the header and idle deadlines, bodies held in memory (they are bounded), and the
access log in Twisted's combined format (`access_log_file` writes it)."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from time import monotonic
from typing import Any, cast

from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import Protocol
from twisted.internet.task import LoopingCall
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from core.settings import Settings
from twisted_host.http.access_log import FORMATS, Logged
from twisted_host.http.access_log_file import AccessLogFile
from twisted_host.http.channel import TwistbridgeChannel
from twisted_host.http.httptools_impl import HttptoolsChannel
from twisted_host.http.interfaces import Connection, RequestObserver
from twisted_host.http.lanes import Lanes
from twisted_host.http.paths import EmptySegment, has_empty_segment
from twisted_host.http.request import TwistbridgeRequest
from twisted_host.http.rules import ProxyHeaders, refusal

# The channel of each `Settings.http` value: the same edge, two parsers.
CHANNELS: dict[str, type[TwistbridgeChannel]] = {
    "httptools": HttptoolsChannel,
    "twisted": TwistbridgeChannel,
}


class TwistbridgeSite(Site):
    """A `Site` with the edge's limits; its access log goes to a file (or is off),
    and its requests report to an observer (the dashboard's figures) when given."""

    protocol = TwistbridgeChannel  # type: ignore[assignment]  # an HTTPChannel
    requestFactory = TwistbridgeRequest

    def __init__(
        self,
        resource: Resource,
        settings: Settings,
        *,
        access_log: AccessLogFile | None = None,
        observer: RequestObserver | None = None,
    ) -> None:
        # No Twisted timeout: it costs two timer operations per request; one sweep
        # over the connections enforces both deadlines instead. No form parsing by
        # Twisted: it reads every POST's Content-Type with the email package, in time
        # quadratic in the header's length (32 KiB of ";" stall the reactor for
        # seconds); the native form parses its own body (twisted_host.native.form).
        super().__init__(resource, timeout=None, parsePOSTFormSubmission=False)
        self.settings = settings
        self.protocol = CHANNELS[settings.http]
        self.access_log = access_log
        self.access_line = FORMATS[settings.access_log_format]
        self.observer = observer
        self.proxy = (
            ProxyHeaders(settings.forwarded_allow_ips)
            if settings.proxy_headers
            else None
        )
        self.connections: set[Connection] = set()
        # Every prefix of the root, each with its bridge for the C parser's direct
        # lane or none (`lanes`); filled by whoever builds the Site (`twisted_host.site`).
        self.lanes = Lanes()
        self.in_flight = 0  # requests handed to a resource and not yet ended
        self.ended = 0  # requests ended, for `max_requests`
        self.max_requests = 0  # 0: no limit; else `on_max_requests` once past it
        self.on_max_requests: Callable[[], None] | None = None
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

    def buildProtocol(self, addr: IAddress | None) -> Any:
        # Any: Twisted types this as its channel protocol; an Overloaded is none.
        if len(self.connections) >= self.settings.max_connections:
            return Overloaded()
        channel = cast(TwistbridgeChannel, super().buildProtocol(addr))
        self.connections.add(channel)
        return channel

    @property
    def saturated(self) -> bool:
        """As many requests in flight as --limit-concurrency allows, or more."""
        limit = self.settings.limit_concurrency
        return bool(limit) and self.in_flight >= limit

    def request_ended(self) -> None:
        self.in_flight -= 1
        self.ended += 1
        if self.ended == self.max_requests and self.on_max_requests is not None:
            self.on_max_requests()

    def connection_lost(self, channel: Connection) -> None:
        self.connections.discard(channel)

    def getResourceFor(self, request: Request) -> Any:
        # Any: Twisted's resource, untyped. Checked before the tree is walked, so
        # that no mount sees an empty segment (twisted_host.http.paths).
        if has_empty_segment(request.postpath or []):
            request.site = self  # as Twisted sets it; the leaf needs nothing else
            return EmptySegment()
        return super().getResourceFor(request)

    def getContentFile(self, length: int | None) -> BytesIO:
        # Never a temporary file: the body limit keeps every body small.
        return BytesIO()

    def log(self, request: Logged) -> None:  # type: ignore[override]
        if self.access_log is not None:
            stamp = self._logDateTime or "-"  # set by Twisted once the factory starts
            line = self.access_line(stamp, request)
            if self.settings.show_lane and self.access_line is not FORMATS["json"]:
                line = f"{line} lane={request.lane}"  # JSON lines always say it
            self.access_log.append(line)


class Overloaded(Protocol):
    """What a connection over the Site's cap gets: 503, then the door."""

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.write(refusal(503, "Too many open connections; try again."))
        self.transport.loseConnection()
