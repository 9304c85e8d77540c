"""A WebSocket's opening handshake, over HTTP/1.1 (RFC 6455: GET, Upgrade, 101) and
over HTTP/2 (RFC 8441: an extended CONNECT with `:protocol websocket`, answered 200,
the stream's DATA then carrying the frames), and Twisted's `WebSocketResource` on it.

`opening(request)` reads the client's side of either; its `accept` answers and hands
the connection (or the stream) to a `WebSocketProtocol` on the bounded wire protocol
(`twisted_host.http.websocket`), with a subprotocol and headers if given, so that an
ASGI app can decide (`websocket.accept`, or a refusal). Both agree on
permessage-deflate the same way, and hold the WebSocket to the same limits and pings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IConsumer, IPushProducer, ITransport
from twisted.python.failure import Failure
from twisted.web import websocket
from twisted.web._websocket_impl import serverBootstrap
from twisted.web.server import NOT_DONE_YET, Request
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.extensions import Extension
from zope.interface import implementer

from core.content import error_page
from core.contract import HTML
from twisted_host.http.channel import TwistbridgeChannel
from twisted_host.http.websocket import WebSocketLimits, WireProtocol
from twisted_host.http.ws_handshake import agree, response_head, upgrade_key

WEBSOCKET = b"websocket"  # RFC 8441's `:protocol` for a WebSocket


@dataclass(frozen=True)
class Terms:
    """What the server answers a handshake with."""

    subprotocol: str | None
    headers: list[tuple[bytes, bytes]]
    extensions: list[Extension]  # offered: the client's offer picks among them


class Opening(ABC):
    """A client's opening handshake, to be accepted."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def accept(
        self,
        protocol: websocket.WebSocketProtocol,
        limits: WebSocketLimits,
        *,
        subprotocol: str | None = None,
        headers: Iterable[tuple[bytes, bytes]] = (),
    ) -> WireProtocol:
        """Answer the handshake and hand the connection (or the stream) to
        `protocol`, as Twisted's `WebSocketResource.render_GET` does, with a
        subprotocol and headers if given."""
        terms = Terms(subprotocol, list(headers), limits.extensions())
        self._answer(terms)
        # Only those the client agreed to: one it did not ask for would be kept,
        # and looked at for every frame, for the connection's life.
        extensions = [e for e in terms.extensions if e.enabled()]
        wire = WireProtocol(
            Connection(ConnectionType.SERVER, extensions),
            serverBootstrap,
            protocol,
            limits=limits,
            extensions=extensions,
            request=self._upgraded(),
        )
        self._hand_over(wire)
        protocol.negotiationFinished()
        return wire

    @abstractmethod
    def _answer(self, terms: Terms) -> None:
        """Agree on the subprotocol and extensions (enabling those agreed to)."""

    @abstractmethod
    def _upgraded(self) -> Request | None:
        """The request whose connection the WebSocket takes over, if it does."""

    @abstractmethod
    def _hand_over(self, wire: WireProtocol) -> None:
        """Send the answer, and give the connection (or stream) to the wire."""


def is_extended_connect(request: Request) -> bool:
    """Whether the request opens a WebSocket on an HTTP/2 stream (RFC 8441)."""
    protocol = getattr(request, "connect_protocol", None)  # only HTTP/2's have one
    return request.method == b"CONNECT" and protocol == WEBSOCKET


def opening(request: Request) -> Opening | None:
    """The client's side of the handshake, over either HTTP; None when the request is
    no valid WebSocket handshake."""
    if is_extended_connect(request):
        return H2Opening.of(request)
    return H11Opening.of(request)


class H11Opening(Opening):
    """RFC 6455's handshake (`twisted_host.http.ws_handshake`), answered 101 on the
    HTTP/1.1 connection."""

    def __init__(self, request: Request, key: bytes) -> None:
        super().__init__(request)
        self.key = key
        self._reply = b""

    @classmethod
    def of(cls, request: Request) -> H11Opening | None:
        key = upgrade_key(request)
        return None if key is None else cls(request, key)

    def _answer(self, terms: Terms) -> None:
        agreed = agree(self.request, terms.subprotocol, terms.extensions)
        self._reply = response_head(self.key, terms.subprotocol, agreed, terms.headers)

    def _upgraded(self) -> Request:
        return self.request

    def _hand_over(self, wire: WireProtocol) -> None:
        channel = self.request.channel
        transport = channel.transport
        assert transport is not None  # the request is being rendered: connected
        channel._protocolUpgradeForWebsockets(wire)
        if isinstance(channel, TwistbridgeChannel):
            channel.websocket = wire  # for a graceful shutdown's close frame
        transport.write(self._reply)


class H2Opening(Opening):
    """RFC 8441's handshake: no key and no Upgrade, `Sec-WebSocket-Version: 13`, the
    subprotocols and extensions as on HTTP/1.1; answered 200 on the stream
    (section 5)."""

    @classmethod
    def of(cls, request: Request) -> H2Opening | None:
        versions = request.requestHeaders.getRawHeaders(b"sec-websocket-version")
        return cls(request) if versions == [b"13"] else None

    def _answer(self, terms: Terms) -> None:
        request, subprotocol = self.request, terms.subprotocol
        agreed = agree(request, subprotocol, terms.extensions)
        request.setResponseCode(200)
        if subprotocol is not None:
            request.setHeader(b"sec-websocket-protocol", subprotocol.encode())
        if agreed:
            request.setHeader(b"sec-websocket-extensions", agreed)
        for name, value in terms.headers:
            request.responseHeaders.addRawHeader(name, value)
        request.write(b"")  # the HEADERS frame now: the client waits for it

    def _upgraded(self) -> None:
        return None  # the connection stays HTTP/2's: only the stream is the wire's

    def _hand_over(self, wire: WireProtocol) -> None:
        wire.makeConnection(StreamTransport(self.request))
        self.request.tunnel = wire  # type: ignore[attr-defined]  # an H2Request's
        self.request.notifyFinish().addBoth(_ended, wire)


def _ended(result: object, wire: WireProtocol) -> None:
    # The stream ended: closed by us (finished), or reset or cut (a failure).
    wire.connectionLost(
        result if isinstance(result, Failure) else Failure(ConnectionDone())
    )


@implementer(ITransport, IConsumer, IPushProducer)
class StreamTransport:
    """An HTTP/2 stream as the transport of a WebSocket's wire protocol: writes are
    DATA frames, closing ends the stream, pausing stops reading it (h2's flow
    control then holds the client back)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.stream: Any = request.channel  # Twisted's H2Stream, untyped

    def write(self, data: bytes) -> None:
        if not self.request.finished and data:
            self.request.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        for chunk in data:
            self.write(chunk)

    def loseConnection(self) -> None:
        if not self.request.finished:
            self.request.finish()  # END_STREAM

    def getPeer(self) -> Any:
        return self.stream.getPeer()

    def getHost(self) -> Any:
        return self.stream.getHost()

    # No producer is registered on a stream for the wire's sake (the HTTP/1.1
    # channel's, which TLS waits on, is the connection's).
    def registerProducer(self, producer: object, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def pauseProducing(self) -> None:
        self.stream.pauseProducing()

    def resumeProducing(self) -> None:
        self.stream.resumeProducing()

    def stopProducing(self) -> None:
        self.stream.stopProducing()


def not_a_handshake(request: Request) -> bytes:
    """400 with the contract's page, for a request that is no WebSocket handshake."""
    request.setResponseCode(400)
    request.setHeader(b"content-type", HTML.encode())
    detail = "This is a WebSocket: connect with an Upgrade: websocket request."
    return error_page(400, detail).encode()


class WebSocketResource(websocket.WebSocketResource):
    """Twisted's `WebSocketResource` on the bounded `WireProtocol`, over HTTP/1.1 and
    HTTP/2."""

    def __init__(
        self,
        factory: websocket.WebSocketServerFactory[websocket.WebSocketProtocol],
        limits: WebSocketLimits | None = None,
    ) -> None:
        super().__init__(factory)
        self.limits = limits or WebSocketLimits()

    def render_GET(self, request: Request) -> bytes | int:
        shake = opening(request)
        if shake is None:
            return not_a_handshake(request)
        shake.accept(self.factory.buildProtocol(request), self.limits)
        return NOT_DONE_YET

    render_CONNECT = render_GET  # RFC 8441's extended CONNECT (else: the same 400)
