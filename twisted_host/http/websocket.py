"""WebSockets at the edge: Twisted's own `twisted.web.websocket`, with what a server
facing the internet needs and it leaves out.

Twisted's wire protocol (wsproto underneath) reassembles every message in memory
without a bound (Daphne's CVE-2026-44545 was the same), raises on bytes that arrive
after the close, and takes over the channel's `connectionLost`, so that neither the
Site's count of connections nor the dashboard's of requests hears of the end. Here:

- `WireProtocol`: Twisted's, with a maximum message size (closed with 1009, as
  uvicorn does), keep-alive pings (1011 when no pong comes, as uvicorn), the peer's
  close code kept for whoever asks (the ASGI bridge), late bytes dropped, the
  channel's own end of connection run after the socket's, and the socket closed
  without waiting on the HTTP channel, which is still the transport's producer (TLS
  sends its close_notify only once no producer is registered: the client would wait
  out its close timeout, 10 s for `websockets`), and an uncompressed message framed
  here rather than by wsproto, which copies it four times on the way;
- the opening handshakes, over HTTP/1.1 and HTTP/2, and the resource, are in
  `twisted_host.http.ws_opening`.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import cast

from twisted.internet.interfaces import (
    IConsumer,
    IDelayedCall,
    IReactorTime,
    ITransport,
)
from twisted.python.failure import Failure
from twisted.web import websocket
from twisted.web._websocket_impl import (
    _handleEvent,
    _WebSocketWireProtocol,
)
from twisted.web.server import Request
from wsproto.connection import ConnectionState
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.extensions import Extension
from wsproto.utilities import LocalProtocolError

from core.settings import Settings
from twisted_host.http.ws_deflate import BoundedDeflate

GOING_AWAY = 1001  # RFC 6455: the server is going down
TOO_BIG = 1009  # RFC 6455: a message too big to process
INTERNAL_ERROR = 1011  # RFC 6455: the server cannot go on (here: no pong in time)
ABNORMAL = 1006  # RFC 6455: the connection ended without a close frame
FIN, TEXT, BINARY = 0x80, 0x1, 0x2  # RFC 6455 section 5.2: the first byte of a frame


@dataclass(frozen=True)
class WebSocketLimits:
    """What every WebSocket of the Site is held to (uvicorn's flags, and defaults but
    the message size: uvicorn's 16 MiB is lax)."""

    max_size: int = 1024 * 1024  # bytes of one message
    ping_interval: float = 20.0  # seconds between keep-alive pings; 0: none
    ping_timeout: float = 20.0  # seconds a pong may take, or the socket closes; 0: any
    per_message_deflate: bool = True  # offer permessage-deflate (RFC 7692), as uvicorn

    @classmethod
    def of(cls, settings: Settings) -> WebSocketLimits:
        return cls(
            settings.ws_max_size,
            settings.ws_ping_interval,
            settings.ws_ping_timeout,
            settings.ws_per_message_deflate,
        )

    def extensions(self) -> list[Extension]:
        """The extensions a new connection may agree to (each its own: they hold the
        connection's compression state)."""
        return [BoundedDeflate(self.max_size)] if self.per_message_deflate else []


@dataclass
class WireProtocol(_WebSocketWireProtocol[websocket.WebSocketProtocol]):
    """Twisted's WebSocket wire protocol, bounded (see the module)."""

    limits: WebSocketLimits = field(default_factory=WebSocketLimits)
    extensions: list[Extension] = field(default_factory=list)  # the connection's
    request: Request | None = None  # the upgraded request, ended with the socket
    peer_close: tuple[int, str] | None = None  # the peer's close frame: code, reason
    sent_close: tuple[int, str] | None = None  # ours
    _message_bytes: int = 0  # of the message being reassembled
    _parts: list[str | bytes | bytearray] = field(default_factory=list)  # its pieces
    _ping: bytes | None = None  # the payload of the ping awaiting its pong
    _timer: IDelayedCall | None = None  # the next ping, or the pong's deadline
    # Given the failing of the connection on a bad frame, to run when it sees fit,
    # instead of it running at once: the ASGI bridge's app first answers the messages
    # that came before the bad frame (RFC 6455 section 7.1.7 allows the wait).
    hold_failure: Callable[[Callable[[], None]], None] | None = None
    _failed: bool = False  # a bad frame came: nothing more is read

    def makeConnection(self, transport: ITransport) -> None:
        super().makeConnection(transport)
        self._schedule(self.limits.ping_interval, self._send_ping)

    def _schedule(self, delay: float, call: Callable[[], None]) -> None:
        from twisted.internet import reactor  # the one installed when this runs

        if delay > 0:
            self._timer = cast(IReactorTime, reactor).callLater(delay, call)

    def _send_ping(self) -> None:
        # Keep-alive, as uvicorn does it: a ping with a payload of its own, and the
        # socket closed with 1011 when its pong does not come in time.
        self._timer = None
        if not self.open:
            return
        self._ping = os.urandom(4)
        self.transport.write(self._wsconn.send(Ping(self._ping)))
        if self.limits.ping_timeout > 0:
            self._schedule(self.limits.ping_timeout, self._no_pong)
        else:
            self._schedule(self.limits.ping_interval, self._send_ping)

    def _no_pong(self) -> None:
        self._timer = None
        self.loseConnection(INTERNAL_ERROR, "keepalive ping timeout")

    def _pong(self, payload: bytes) -> None:
        if self._ping is not None and bytes(payload) == self._ping:
            self._ping = None
            if self._timer is not None and self.limits.ping_timeout > 0:
                self._timer.cancel()
                self._schedule(self.limits.ping_interval, self._send_ping)

    @property
    def open(self) -> bool:
        return self._wsconn.state is ConnectionState.OPEN

    def dataReceived(self, data: bytes) -> None:
        if self._failed:
            return  # the bytes after a bad frame mean nothing
        try:
            self._wsconn.receive_data(data)
        except LocalProtocolError:
            return  # bytes after the close handshake: nothing left to hear
        for event in self._wsconn.events():
            if isinstance(event, TextMessage | BytesMessage):
                if self._too_big(event):
                    return
                self._gather(event)
                continue
            elif isinstance(event, CloseConnection):
                if self.open:  # not the peer's close: wsproto failed a frame
                    self._fail(event)
                    return
                self.peer_close = (event.code, event.reason or "")
                self._release()  # Twisted's handler closes the transport next
            elif isinstance(event, Pong):
                self._pong(event.payload)
            _handleEvent(event, self)

    def _fail(self, event: CloseConnection) -> None:
        self._failed = True
        if event.code == TOO_BIG:
            # The inflater stopped a message at the limit (`ws_deflate`): said as
            # for an uncompressed message over it.
            fail = self._over_limit
        else:
            fail = partial(self.loseConnection, event.code, event.reason or "")
        if self.hold_failure is None:
            fail()
        else:
            self.hold_failure(fail)

    def _gather(self, event: TextMessage | BytesMessage) -> None:
        # The pieces of a message joined once at its end: Twisted's buffer adds each
        # to the whole so far, a copy of the message per read (a 16 MiB message read
        # in 64 KiB: 2 GiB copied), nearly half the time of a large echo.
        self._parts.append(event.data)
        if not event.message_finished:
            return
        parts, self._parts = self._parts, []
        # (A join of one piece is that piece: no copy for a message in one read.)
        if isinstance(event, TextMessage):
            self._wsp.textMessageReceived("".join(cast(list[str], parts)))
        else:
            self._wsp.bytesMessageReceived(b"".join(cast(list[bytes], parts)))

    def _too_big(self, event: TextMessage | BytesMessage) -> bool:
        # The budget is in bytes, as uvicorn counts it: text as UTF-8 (ASCII's
        # length is its UTF-8 length, and asking costs no copy).
        data = event.data
        self._message_bytes += (
            len(data)
            if not isinstance(data, str) or data.isascii()
            else len(data.encode())
        )
        if self._message_bytes > self.limits.max_size:
            self._over_limit()
            return True
        if event.message_finished:
            self._message_bytes = 0
        return False

    def _over_limit(self) -> None:
        self.loseConnection(TOO_BIG, f"Message over {self.limits.max_size} bytes")

    def sendTextMessage(self, text: str) -> None:
        if not self.open:
            return
        if self._compressing():
            super().sendTextMessage(text)
        else:
            self._write_message(TEXT, text.encode())
        self._sent()

    def sendBytesMessage(self, data: bytes) -> None:
        if not self.open:
            return
        if self._compressing():
            super().sendBytesMessage(data)
        else:
            self._write_message(BINARY, data)
        self._sent()

    def _compressing(self) -> bool:
        # permessage-deflate agreed: wsproto frames the message, as it holds the
        # compressor's state between messages.
        return any(extension.enabled() for extension in self.extensions)

    def _write_message(self, opcode: int, payload: bytes) -> None:
        # A whole message, uncompressed, in one unmasked frame (RFC 6455 section
        # 5.2): its header written beside the payload. wsproto's `send` copies a
        # message four times into the frame it returns (a bytearray of the payload,
        # the header added to it, a bytearray of that, bytes of that): with those
        # copies gone, the server CPU of bench.ws_speed's large messages on /native
        # and /klein went from 1.32x and 1.20x uvicorn's to 1.09x and 1.08x.
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", FIN | opcode, size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", FIN | opcode, 126, size)
        else:
            head = struct.pack("!BBQ", FIN | opcode, 127, size)
        self.transport.writeSequence([head, payload])

    def _sent(self) -> None:
        # A whole message: out now, not at the end of the turn
        # (`twisted_host.http.transport`; a TLS or HTTP/2 transport has no such
        # flush and sends at the end of the turn).
        flush: Callable[[], None] | None = getattr(self.transport, "flush_now", None)
        if flush is not None:
            flush()

    def loseConnection(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame (when one may still be sent) and close the socket."""
        state = self._wsconn.state
        if state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            self.sent_close = (code, reason)
            self.transport.write(self._wsconn.send(CloseConnection(code, reason)))
        self.drop()

    def drop(self) -> None:
        """Close the socket without a close frame (the peer sees 1006)."""
        self._release()
        self.transport.loseConnection()

    def _release(self) -> None:
        # The upgraded HTTP channel stays registered as the transport's producer; over
        # TLS no close_notify (and so no close) happens while one is.
        IConsumer(self.transport).unregisterProducer()

    def connectionLost(self, reason: Failure) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        super().connectionLost(reason)
        # The app's protocol keeps its transport (this) and this keeps the app's
        # protocol (and the ASGI bridge's hook): cycles, freed only by a full
        # collection of the garbage collector. It has been told; nothing more
        # reaches it.
        del self._wsp
        self.hold_failure = None
        request, self.request = self.request, None
        if request is not None and request.channel is not None:
            # The channel's own end, which the upgrade replaced with ours: the Site
            # forgets the connection, the request ends for the dashboard.
            channel = request.channel
            type(channel).connectionLost(channel, reason)
