"""The connections that stay open: a WebSocket echo and a server-sent event stream.

"Twisted Web in 60 Seconds" has neither, but both follow from its lessons. `ws` is
Twisted's own `WebSocketResource` (here on a wire protocol with a message size
limit): after the handshake the connection belongs to a `WebSocketProtocol`, whose
`textMessageReceived` and `bytesMessageReceived` answer on the transport. `events`
is the clock of example 4-5 pushed rather than fetched: `render_GET` returns
`NOT_DONE_YET`, as in example 4-10, and a `LoopingCall` writes an event a second
until `count` is reached or `notifyFinish` says the client left. A bad `count`
raises `BadCount`, which `Page.render` answers with a 400.
"""

from __future__ import annotations

from twisted.internet import reactor
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET, Request
from twisted.web.websocket import WebSocketTransport

from core.content import time_event
from core.live import EVENT_INTERVAL, EVENT_STREAM, parse_count
from core.settings import Settings
from twisted_host.http.websocket import WebSocketLimits
from twisted_host.http.ws_opening import WebSocketResource
from twisted_host.native.errors import Page


class Echo:
    """One WebSocket connection: every message goes back as it came."""

    transport: WebSocketTransport

    def negotiationStarted(self, transport: WebSocketTransport) -> None:
        self.transport = transport

    def negotiationFinished(self) -> None:
        pass

    def textMessageReceived(self, message: str) -> None:
        self.transport.sendTextMessage(message)

    def bytesMessageReceived(self, data: bytes | bytearray) -> None:
        self.transport.sendBytesMessage(bytes(data))

    def pongReceived(self, payload: bytes) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:
        pass


class EchoFactory:
    def buildProtocol(self, request: Request) -> Echo:
        return Echo()


class EchoSocket(Page, WebSocketResource):
    """`WebSocketResource`, with the contract's 404 below it and 405 beside it."""


def create_ws(settings: Settings) -> EchoSocket:
    return EchoSocket(EchoFactory(), WebSocketLimits.of(settings))


class Events(Page):
    def render_GET(self, request: Request) -> int:
        values = request.args.get(b"count")
        count = parse_count(values[0].decode("latin-1") if values else None)
        request.setHeader(b"content-type", EVENT_STREAM.encode())
        request.setHeader(b"cache-control", b"no-cache")
        _Stream(request, count)
        return NOT_DONE_YET


class _Stream:
    """Writes an event now and one a second after, until `count` or the client goes."""

    def __init__(self, request: Request, count: int | None) -> None:
        self.request = request
        self.left = count
        self.ticks = LoopingCall(self.tick)
        self.ticks.clock = reactor
        request.notifyFinish().addBoth(self.stop)
        self.ticks.start(EVENT_INTERVAL, now=True)

    def tick(self) -> None:
        self.request.write(time_event().encode())
        if self.left is not None:
            self.left -= 1
            if self.left == 0:
                self.request.finish()  # notifyFinish fires: stop

    def stop(self, _: object) -> None:
        if self.ticks.running:
            self.ticks.stop()
