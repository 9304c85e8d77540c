"""The ASGI `websocket` scope on the bridge, on Twisted's own WebSocket support
(`twisted_host.http.websocket`, wsproto underneath) rather than a second stack.

It behaves as uvicorn's wsproto implementation does: the app gets
`websocket.connect`; `websocket.accept` (with a subprotocol and headers) answers 101,
`websocket.close` before it answers 403, and `websocket.http.response.*` sends the
app's own denial response; then `websocket.receive` (text or bytes) and
`websocket.send`, `websocket.close` with a code and reason, `websocket.disconnect`
with the peer's code (1006 when the connection just ended, 1009 for a message over
the limit). Reading stops while a second received message waits for the app
(uvicorn pauses at the first), and `send` waits while the client is slow to read. An app that fails
before accepting gets a 500; after, the connection is dropped, as uvicorn does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import Enum

from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET, Request

from twisted_host.bridges.asgi_exchange import ASGIHost, ClientDisconnected, write_plain
from twisted_host.bridges.flow import SendProducer
from twisted_host.bridges.inbox import Inbox
from twisted_host.bridges.lifespan import LifespanFailed
from twisted_host.http.websocket import ABNORMAL, WireProtocol
from twisted_host.http.ws_handshake import tokens
from twisted_host.http.ws_opening import (
    Opening,
    is_extended_connect,
    not_a_handshake,
    opening,
)
from twisted_host.types import Message, Scope

_log = Logger()
# Seconds the app gets to answer the messages that came before a bad frame.
HOLD_SECONDS = 5.0


def is_websocket(request: Request) -> bool:
    """Whether the request asks for a WebSocket (RFC 6455 section 4.1), or opens one
    on an HTTP/2 stream (RFC 8441)."""
    if is_extended_connect(request):
        return True
    upgrade = request.requestHeaders.getRawHeaders(b"upgrade") or []
    return request.method == b"GET" and any(
        value.strip().lower() == b"websocket" for value in upgrade
    )


def serve(resource: ASGIHost, request: Request) -> bytes | int:
    """Render a WebSocket handshake by running the app with a `websocket` scope."""
    shake = opening(request)
    if shake is None:
        return not_a_handshake(request)
    exchange = _WebSocketExchange(resource, request, shake)
    task = resource.loop.create_task(exchange.run())
    resource.tasks.add(task)
    task.add_done_callback(resource.tasks.discard)
    return NOT_DONE_YET


class _State(Enum):
    CONNECTING = "connecting"  # the app has not answered the handshake
    ACCEPTED = "accepted"  # 101 sent: messages flow
    DENYING = "denying"  # the app's own HTTP response is going out
    CLOSED = "closed"  # close sent, response finished, or the client gone


def websocket_scope(resource: ASGIHost, request: Request) -> Scope:
    """The ASGI `websocket` scope of a handshake, as uvicorn builds it: the HTTP
    scope's fields without `method`, `ws`/`wss`, the subprotocols offered."""
    scope = resource.scope(request)
    del scope["method"]
    scope.update(
        type="websocket",
        http_version="2" if request.clientproto == b"HTTP/2" else "1.1",
        scheme="wss" if request.isSecure() else "ws",
        subprotocols=tokens(request, b"sec-websocket-protocol"),
        extensions={"websocket.http.response": {}},
    )
    return scope


class _WebSocketExchange(SendProducer):
    """One WebSocket and its app call: a `WebSocketProtocol` for the wire, the
    `receive` and `send` the app is given, and a producer paused by the channel."""

    def __init__(self, resource: ASGIHost, request: Request, shake: Opening) -> None:
        self.resource = resource
        self.request = request
        self.shake = shake
        super().__init__(resource.loop)
        self.state = _State.CONNECTING
        self.gone = False  # the client went away
        self.wire: WireProtocol | None = None
        self.inbox: Inbox[Message] = Inbox(resource.loop)
        self.inbox.put({"type": "websocket.connect"})
        self._reading_paused = False
        self._waiting = False  # the app waits in `receive` for a message
        self._held: asyncio.TimerHandle | None = None  # a failure the app comes before
        self._fail: Callable[[], None] | None = None
        request.notifyFinish().addErrback(self._lost)
        request.registerProducer(self, True)

    async def run(self) -> None:
        try:
            await self.resource.ready()
        except LifespanFailed:
            self._respond_error(503, b"Service Unavailable")
            return
        scope = websocket_scope(self.resource, self.request)
        try:
            await self.resource.app(scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except Exception:
            if not self.gone:
                _log.failure("ASGI app raised on WebSocket {p}", p=scope["path"])
                self._respond_error(500, b"Internal Server Error")
        else:
            if self.state is _State.CONNECTING:
                _log.error("ASGI app returned without answering the WebSocket")
                self._respond_error(500, b"Internal Server Error")
        finally:
            self._drop()
            # The request holds this exchange (its producer, its notifications) and
            # this the request and the handshake: a cycle, freed only by a full
            # collection of the garbage collector. The app's call is over, and with
            # it every use of them.
            del self.request, self.shake

    async def receive(self) -> Message:
        if not self.inbox and self._fail is not None:
            self._fail_held()  # the app has had every message before the bad frame
        self._waiting = True
        try:
            message = await self.inbox.get()
        finally:
            self._waiting = False
        if self._reading_paused and not self.inbox:
            self._reading_paused = False
            if self.wire is not None and not self.gone:
                self.wire.transport.resumeProducing()  # type: ignore[attr-defined]
        return message

    async def send(self, message: Message) -> None:
        await self.writable()  # the client is slow: wait
        if self.gone:
            raise ClientDisconnected("the client disconnected")
        kind = message["type"]
        if self.state is _State.CONNECTING:
            self._answer_handshake(kind, message)
        elif self.state is _State.ACCEPTED:
            self._send_on_socket(kind, message)
        elif self.state is _State.DENYING:
            self._send_denial_body(kind, message)
        else:
            raise RuntimeError(f"Unexpected ASGI message {kind!r} after the close")

    def _answer_handshake(self, kind: str, message: Message) -> None:
        request = self.request
        if kind == "websocket.accept":
            self.state = _State.ACCEPTED
            self.wire = self.shake.accept(
                self,
                self.resource.ws_limits,
                subprotocol=message.get("subprotocol"),
                headers=[(bytes(k), bytes(v)) for k, v in message.get("headers", ())],
            )
            self.wire.hold_failure = self._hold_failure
        elif kind == "websocket.close":
            self.state = _State.CLOSED
            self.inbox.put({"type": "websocket.disconnect", "code": ABNORMAL})
            request.setResponseCode(403)
            self._finish()
        elif kind == "websocket.http.response.start":
            status = message["status"]
            if not 100 <= status < 600:
                raise RuntimeError(f"Invalid HTTP status code {status!r} in response")
            self.state = _State.DENYING
            request.setResponseCode(status)
            for name, value in message.get("headers", ()):
                request.responseHeaders.addRawHeader(bytes(name), bytes(value))
        else:
            raise RuntimeError(
                "Expected ASGI message 'websocket.accept', 'websocket.close' or "
                f"'websocket.http.response.start' but got {kind!r}"
            )

    def _send_on_socket(self, kind: str, message: Message) -> None:
        wire = self.wire
        assert wire is not None
        if kind == "websocket.send":
            data = message.get("bytes")
            if data is not None:
                wire.sendBytesMessage(bytes(data))
            else:
                wire.sendTextMessage(message["text"])
        elif kind == "websocket.close":
            self.state = _State.CLOSED
            code, reason = message.get("code", 1000), message.get("reason") or ""
            self.inbox.put(
                {"type": "websocket.disconnect", "code": code, "reason": reason}
            )
            wire.loseConnection(code, reason)
        else:
            raise RuntimeError(
                "Expected ASGI message 'websocket.send' or 'websocket.close', "
                f"but got {kind!r}"
            )

    def _send_denial_body(self, kind: str, message: Message) -> None:
        if kind != "websocket.http.response.body":
            raise RuntimeError(
                f"Expected ASGI message 'websocket.http.response.body' but got {kind!r}"
            )
        body = bytes(message.get("body", b""))
        if body:
            self.request.write(body)
        if not message.get("more_body", False):
            self.state = _State.CLOSED
            self.inbox.put({"type": "websocket.disconnect", "code": ABNORMAL})
            self._finish()

    def _hold_failure(self, fail: Callable[[], None]) -> None:
        """A bad frame came: the messages before it are answered first, as on
        /native where the answer goes out before the next frame is read. The
        connection fails once the app comes back for more, or after HOLD_SECONDS."""
        if self._waiting and not self.inbox:
            fail()  # the app has answered everything already
            return
        self._fail = fail
        self._held = self.resource.loop.call_later(HOLD_SECONDS, self._fail_held)

    def _fail_held(self) -> None:
        fail, self._fail = self._fail, None
        if self._held is not None:
            self._held.cancel()
            self._held = None
        if fail is not None and not self.gone:
            fail()

    def _respond_error(self, status: int, text: bytes) -> None:
        # Only while no answer has begun: afterwards `_drop` cuts the connection.
        if self.state is not _State.CONNECTING or self.gone:
            return
        self.state = _State.CLOSED
        write_plain(self.request, status, text)
        self._finish()

    def _finish(self) -> None:
        self.request.unregisterProducer()
        self.request.finish()

    def _drop(self) -> None:
        """The app is done: a socket it left open closes without a close frame, as
        uvicorn's does (the client sees 1006)."""
        if self.gone:
            return
        if self.wire is not None:
            self.wire.drop()
        elif self.state is _State.DENYING:
            self.request.loseConnection()  # a denial response left unfinished

    def _lost(self, reason: object) -> None:
        # The client went away before the handshake was answered (afterwards the
        # socket's connectionLost has said so first).
        if not self.gone:
            self.gone = True
            self.inbox.put({"type": "websocket.disconnect", "code": ABNORMAL})
            self.resumeProducing()

    # WebSocketProtocol: what the wire protocol tells us once accepted.
    def negotiationStarted(self, transport: object) -> None:
        pass

    def negotiationFinished(self) -> None:
        pass

    def textMessageReceived(self, message: str) -> None:
        self._received({"type": "websocket.receive", "text": message})

    def bytesMessageReceived(self, data: bytes | bytearray) -> None:
        self._received({"type": "websocket.receive", "bytes": bytes(data)})

    def pongReceived(self, payload: bytes) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:
        wire = self.wire
        self.gone = True
        if self.state is _State.ACCEPTED:
            self.state = _State.CLOSED
            closed = wire.peer_close or wire.sent_close if wire else None
            code, why = closed or (ABNORMAL, "")
            self.inbox.put(
                {"type": "websocket.disconnect", "code": code, "reason": why}
            )
        self.resumeProducing()

    def _received(self, message: Message) -> None:
        self.inbox.put(message)
        if not self._reading_paused and self.wire is not None and len(self.inbox) > 1:
            # A message already waits for the app: the client waits meanwhile. Not
            # at the first: pausing and resuming the socket (two epoll_ctl and the
            # reactor's bookkeeping) for every message of a conversation that
            # waits for its answers was a quarter of the bridge's time (py-spy).
            self._reading_paused = True
            self.wire.transport.pauseProducing()  # type: ignore[attr-defined]
