"""HTTP/2 over TLS: the Site's connections switch to Twisted's `H2Connection` when the
client picks `h2` by ALPN, as a stock `Site` does, so every mount is served over
HTTP/2 too (the ASGI scope then says `http_version` "2").

The Site's channel is `TwistbridgeChannel`, not the switching proxy a stock `Site`
builds; `HTTP2Factory` puts Twisted's proxy (`_GenericHTTPChannelProtocol`) around it.
A switched connection leaves the HTTP/1.1 channel behind for a `SiteH2Connection`
(`twisted_host.http.h2_connection`), which the Site tracks in its place: the
connection cap, the idle deadline, a graceful stop and the dashboard see HTTP/2
connections as they see HTTP/1.1 ones. Requests on HTTP/2 streams are `H2Request`s: the dashboard counts them, their headers come grouped
by name (as h2 hands them over). The edge's limits: the body's (413); the header
block's, as HTTP/2's SETTINGS_MAX_HEADER_LIST_SIZE (a client over it gets a GOAWAY);
open streams, h2's 100 per connection.
"""

from __future__ import annotations

from typing import Any, cast

from h2.settings import SettingCodes
from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import Factory
from twisted.web.http import H2_ENABLED, _GenericHTTPChannelProtocol
from twisted.web.http_headers import Headers

from core.contract import HTML
from core.settings import Settings
from twisted_host.http import rules
from twisted_host.http.channel import TwistbridgeChannel
from twisted_host.http.h2_connection import SiteH2Connection
from twisted_host.http.headers import OrderedHeadersRequest
from twisted_host.http.request import TwistbridgeRequest
from twisted_host.http.site import TwistbridgeSite

ALPN = (b"h2", b"http/1.1") if H2_ENABLED else (b"http/1.1",)


class H2Request(TwistbridgeRequest):
    """A request on an HTTP/2 stream (`channel` is an `H2Stream`)."""

    _too_large: rules.Refusal | None = None  # the body is over the limit
    answering = False  # its request is complete: the answer is under way
    connect_protocol: bytes | None = None  # an extended CONNECT's (`h2_tunnel`)
    tunnel: Any = None  # where an accepted tunnel's DATA goes (a WebSocket's wire)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Twisted's H2Stream files headers by name (`setRawHeaders`), past the
        # order-keeping `ReceivedHeaders`: plain `Headers`, grouped by name, then.
        self.requestHeaders = Headers()

    @property
    def _limits(self) -> Settings:
        stream: Any = self.channel  # an H2Stream, which carries the Site
        return cast(Settings, stream.site.settings)

    def handleContentChunk(self, data: bytes) -> None:
        if self.tunnel is not None:
            self.tunnel.dataReceived(data)  # no body: the tunnel's bytes
            return
        self._received += len(data)
        if self._too_large is None:
            self._too_large = rules.body_size(self._received, self._limits)
            if self._too_large is None:
                OrderedHeadersRequest.handleContentChunk(self, data)
        # else: kept no further; answered 413 once complete (the stream, not the
        # connection, ends with it: RFC 9113 gives each stream its own answer)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        # h2 has checked that the pseudo-headers are there (`:authority` is the
        # Host: no Host rules); what `:path` holds is the target rule's.
        if self.answering:  # a tunnel's stream, ended by the client
            if not self.finished:
                self.finish()
            return
        self.answering = True
        refused = self._too_large or rules.target(command, path)
        if refused is None:
            OrderedHeadersRequest.requestReceived(self, command, path, version)
            return
        self.method, self.uri, self.clientproto = command, path, version
        self.path = path.partition(b"?")[0]
        body = refused.page().encode()
        self.setResponseCode(refused.status)
        self.setHeader(b"content-type", HTML.encode())
        self.setHeader(b"content-length", b"%d" % len(body))
        self.write(body)
        self.finish()


class _Switching(_GenericHTTPChannelProtocol):
    """Twisted's switching proxy, switching to the Site's own HTTP/2 connection (which
    the Site tracks, in place of the HTTP/1.1 channel left behind)."""

    _negotiatedProtocol: bytes | None = None  # type: ignore[assignment]

    def dataReceived(self, data: bytes) -> None:
        if self._negotiatedProtocol is None:
            channel = cast(TwistbridgeChannel, self._channel)
            transport: Any = channel.transport
            if H2_ENABLED and getattr(transport, "negotiatedProtocol", None) == b"h2":
                self._switch(channel, transport)
        super().dataReceived(data)

    def _switch(self, channel: TwistbridgeChannel, transport: Any) -> None:
        # As Twisted's proxy switches, with a `SiteH2Connection` for its H2Connection.
        producer: Any = channel._networkProducer
        producer.unregisterProducer()
        channel.site.connection_lost(channel)
        h2 = SiteH2Connection(channel.site)
        configured: Any = h2  # Twisted's attributes, set as its proxy sets them
        configured.requestFactory = self._requestFactory
        configured.factory = self._factory
        configured.timeOut = self._timeOut
        configured.callLater = self._callLater
        self._channel = h2
        self._negotiatedProtocol = b"h2"
        h2.makeConnection(transport)
        producer.registerProducer(h2, True)
        # The edge's header limit, as h2 counts it (RFC 9113: names, values and 32
        # bytes per field); h2 ends a connection that sends more (GOAWAY).
        size = channel.limits.max_header_bytes
        h2.conn.update_settings({SettingCodes.MAX_HEADER_LIST_SIZE: size})
        transport.write(h2.conn.data_to_send())


class HTTP2Factory(Factory):
    """The Site's connections, able to switch to HTTP/2 (give it to TLS)."""

    def __init__(self, site: TwistbridgeSite) -> None:
        self.site = site

    def doStart(self) -> None:
        self.site.doStart()

    def doStop(self) -> None:
        self.site.doStop()

    def buildProtocol(self, addr: IAddress | None) -> Any:
        built = self.site.buildProtocol(addr)
        if not isinstance(built, TwistbridgeChannel):
            return built  # refused: over the connection cap
        proxy = _Switching(built)
        # What a stock Site sets through the proxy, for the HTTP/2 connection.
        proxy._factory = built.factory
        proxy._timeOut = built.timeOut
        proxy._callLater = built.callLater
        proxy._requestFactory = H2Request
        return proxy
