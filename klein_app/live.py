"""The connections that stay open: a WebSocket echo and a server-sent event stream.

`ws`: a Klein handler may return a `twisted.web` resource, and Twisted's
`WebSocketResource` is one; the route returns the native tree's (on the Site's
bounded wire protocol, `twisted_host.http.websocket`), which answers the handshake
and hands the connection to its echo protocol. `events`: an `async def` that writes
an event with `request.write`, then awaits `deferLater` for the next; Klein finishes
the request when the coroutine returns, and cancels it (the `await` raises
`CancelledError`) when the client leaves. A bad `count` raises `BadCount`, which the
`ClientError` handler answers with a 400.
"""

from __future__ import annotations

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.web.server import Request

from core.content import time_event
from core.live import EVENT_INTERVAL, EVENT_STREAM, parse_count
from klein_app.errors import Routes, app
from twisted_host.native.live import EchoSocket, create_ws


class Live(Routes):
    @app.route("/ws", methods=["GET", "CONNECT"])  # CONNECT: over HTTP/2 (RFC 8441)
    def ws(self, request: Request) -> EchoSocket:
        """Echoes every message until the client closes."""
        return create_ws(self.settings)  # a resource: Klein renders it

    @app.route("/events", methods=["GET"])
    async def events(self, request: Request) -> None:
        """The clock, once a second, for `count` events or until the client leaves."""
        values = request.args.get(b"count")
        count = parse_count(values[0].decode("latin-1") if values else None)
        request.setHeader(b"content-type", EVENT_STREAM.encode())
        request.setHeader(b"cache-control", b"no-cache")
        sent = 0
        while True:
            request.write(time_event().encode())
            sent += 1
            if sent == count:
                return
            await deferLater(reactor, EVENT_INTERVAL)
