"""WebSockets at the edge: Twisted's own `twisted.web.websocket`, with what a server
facing the internet needs and it leaves out.

Twisted's wire protocol (wsproto underneath) reassembles every message in memory
without a bound (Daphne's CVE-2026-44545 was the same), raises on bytes that arrive
after the close, and takes over the channel's `connectionLost`, so that neither the
Site's count of connections nor the dashboard's of requests hears of the end. Here:

- `WireProtocol`: Twisted's, with a maximum message size (closed with 1009, as
  uvicorn does), the peer's close code kept for whoever asks (the ASGI bridge), late
  bytes dropped, and the channel's own end of connection run after the socket's;
- `handshake` and `accept`: the two halves of `WebSocketResource.render_GET`, so that
  an ASGI app can decide between them (subprotocol, headers, or a refusal);
- `WebSocketResource`: Twisted's resource on that wire protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from twisted.python.failure import Failure
from twisted.web import websocket
from twisted.web._websocket_impl import (
    _handleEvent,
    _WebSocketWireProtocol,
    serverBootstrap,
)
from twisted.web.server import NOT_DONE_YET, Request
from wsproto import ConnectionType
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, TextMessage
from wsproto.handshake import H11Handshake
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from core.content import error_page
from core.contract import HTML
from twisted_host.http.channel import TwistbridgeChannel

DEFAULT_MAX_SIZE = 1024 * 1024  # uvicorn's --ws-max-size default, 16 MiB, is lax
GOING_AWAY = 1001  # RFC 6455: the server is going down
TOO_BIG = 1009  # RFC 6455: a message too big to process
NO_STATUS = 1005  # RFC 6455: the peer's close frame had no code (or never came)
ABNORMAL = 1006  # RFC 6455: the connection ended without a close frame


@dataclass
class WireProtocol(_WebSocketWireProtocol[websocket.WebSocketProtocol]):
    """Twisted's WebSocket wire protocol, bounded (see the module)."""

    max_size: int = DEFAULT_MAX_SIZE
    request: Request | None = None  # the upgraded request, ended with the socket
    peer_close: tuple[int, str] | None = None  # the peer's close frame: code, reason
    sent_close: tuple[int, str] | None = None  # ours
    _message_bytes: int = 0  # of the message being reassembled

    @property
    def open(self) -> bool:
        return self._wsconn.state is ConnectionState.OPEN

    def dataReceived(self, data: bytes) -> None:
        try:
            self._wsconn.receive_data(data)
        except LocalProtocolError:
            return  # bytes after the close handshake: nothing left to hear
        for event in self._wsconn.events():
            if isinstance(event, TextMessage | BytesMessage):
                if self._too_big(event):
                    return
            elif isinstance(event, CloseConnection):
                self.peer_close = (event.code, event.reason or "")
            _handleEvent(event, self)

    def _too_big(self, event: TextMessage | BytesMessage) -> bool:
        # The budget is in bytes, as uvicorn counts it: text as UTF-8.
        data = event.data
        self._message_bytes += len(data.encode() if isinstance(data, str) else data)
        if self._message_bytes > self.max_size:
            self.loseConnection(TOO_BIG, f"Message over {self.max_size} bytes")
            return True
        if event.message_finished:
            self._message_bytes = 0
        return False

    def sendTextMessage(self, text: str) -> None:
        if self.open:
            super().sendTextMessage(text)

    def sendBytesMessage(self, data: bytes) -> None:
        if self.open:
            super().sendBytesMessage(data)

    def loseConnection(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame (when one may still be sent) and close the socket."""
        state = self._wsconn.state
        if state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            self.sent_close = (code, reason)
            self.transport.write(self._wsconn.send(CloseConnection(code, reason)))
        self.transport.loseConnection()

    def connectionLost(self, reason: Failure) -> None:
        super().connectionLost(reason)
        request, self.request = self.request, None
        if request is not None and request.channel is not None:
            # The channel's own end, which the upgrade replaced with ours: the Site
            # forgets the connection, the request ends for the dashboard.
            channel = request.channel
            type(channel).connectionLost(channel, reason)


def handshake(request: Request) -> H11Handshake | None:
    """The server side of the opening handshake, begun from the request's headers;
    None when the request is not a valid WebSocket upgrade."""
    shake = H11Handshake(ConnectionType.SERVER)
    headers = [
        (name, value)
        for name, values in request.requestHeaders.getAllRawHeaders()
        for value in values
    ]
    try:
        shake.initiate_upgrade_connection(headers, request.path)
    except RemoteProtocolError:
        return None
    return shake


def accept(
    request: Request,
    shake: H11Handshake,
    protocol: websocket.WebSocketProtocol,
    max_size: int,
    *,
    subprotocol: str | None = None,
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> WireProtocol:
    """Answer 101 and hand the connection to `protocol`, as Twisted's
    `WebSocketResource.render_GET` does, with a subprotocol and headers if given."""
    answer = shake.send(
        AcceptConnection(subprotocol=subprotocol, extra_headers=list(headers))
    )
    assert shake.connection is not None  # accepted: wsproto made the connection
    wire = WireProtocol(
        shake.connection, serverBootstrap, protocol, max_size=max_size, request=request
    )
    channel = request.channel
    transport = channel.transport
    assert transport is not None  # the request is being rendered: still connected
    channel._protocolUpgradeForWebsockets(wire)
    if isinstance(channel, TwistbridgeChannel):
        channel.websocket = wire  # for a graceful shutdown's close frame
    transport.write(answer)
    protocol.negotiationFinished()
    return wire


def not_a_handshake(request: Request) -> bytes:
    """400 with the contract's page, for a GET that is no WebSocket upgrade."""
    request.setResponseCode(400)
    request.setHeader(b"content-type", HTML.encode())
    detail = "This is a WebSocket: connect with an Upgrade: websocket request."
    return error_page(400, detail).encode()


class WebSocketResource(websocket.WebSocketResource):
    """Twisted's `WebSocketResource` on the bounded `WireProtocol`."""

    def __init__(
        self,
        factory: websocket.WebSocketServerFactory[websocket.WebSocketProtocol],
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        super().__init__(factory)
        self.max_size = max_size

    def render_GET(self, request: Request) -> bytes | int:
        shake = handshake(request)
        if shake is None:
            return not_a_handshake(request)
        accept(request, shake, self.factory.buildProtocol(request), self.max_size)
        return NOT_DONE_YET
