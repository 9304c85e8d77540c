"""`ASGIResource`: any ASGI 3 app as a `twisted.web` resource.

    root.putChild(b"api", ASGIResource(app))

with `twisted.internet.asyncioreactor` installed, before or after the reactor starts.
The app runs as coroutines on the reactor's own event loop; it sees what uvicorn would
show it: the HTTP scope of the ASGI spec 2.4 (`root_path` is the mount's path), the
body as `http.request` messages (as it arrives, under twistbridge's own Site, whose
requests carry a `body_stream`), `http.disconnect` when the client goes, a `send` that
waits while the client is slow to read (backpressure), and its lifespan, run with
the reactor's start and stop. A WebSocket handshake gets the `websocket` scope
(`twisted_host.bridges.asgi_websocket`). An HTTP request comes either lane
(`twisted_host.http.lanes`): through `render` as a `twisted.web` request, or through
`serve` straight from the C parser; both run the same exchange (`asgi_exchange`).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from twisted.internet import defer
from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from twisted_host.bridges import asgi_websocket
from twisted_host.bridges.answer import RequestAnswer
from twisted_host.bridges.asgi_exchange import Exchange
from twisted_host.bridges.asgi_scope import direct_scope, request_scope
from twisted_host.bridges.lifespan import Lifespan, LifespanFailed
from twisted_host.http.direct import DirectRequest
from twisted_host.http.headers import OrderedHeadersRequest
from twisted_host.http.websocket import WebSocketLimits
from twisted_host.types import ASGIApp, Scope

_log = Logger()

# A Site that hosts the bridge lists headers to the app as they arrived with this
# request factory; under a plain `Request` repeated headers come grouped by name.
ASGIRequest = OrderedHeadersRequest


def _asyncio_reactor(reactor: object = None) -> AsyncioSelectorReactor:
    if reactor is None:
        from twisted.internet import reactor
    if not isinstance(reactor, AsyncioSelectorReactor):
        raise RuntimeError(
            f"ASGIResource runs ASGI apps on the asyncio reactor, but "
            f"{type(reactor).__name__} is installed: call "
            "twisted.internet.asyncioreactor.install() before anything imports "
            "twisted.internet.reactor"
        )
    return reactor


class ASGIResource(Resource):
    """Serves an ASGI 3 app at this resource's place in the tree (a leaf)."""

    isLeaf = True
    streams_body = True  # on the Site's edge, the app gets the body as it arrives

    def __init__(
        self,
        app: ASGIApp,
        *,
        lifespan: bool = True,
        disconnect_grace: float = 5.0,
        shutdown_timeout: float = 10.0,
        request_timeout: float = 0.0,
        ws_limits: WebSocketLimits | None = None,
        reactor: AsyncioSelectorReactor | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        root_path: str = "",
    ) -> None:
        """`reactor` and `loop` default to the installed asyncio reactor and its
        event loop, the only loop the app's coroutines may run on; `root_path` is
        where a path-prefixing proxy serves the Site (uvicorn's --root-path)."""
        super().__init__()
        self.app = app
        self.root_path = root_path
        self.disconnect_grace = disconnect_grace
        self.shutdown_timeout = shutdown_timeout
        self.request_timeout = request_timeout  # 0: none; else 504 (or abort) after
        self.ws_limits = ws_limits or WebSocketLimits()  # for the websocket scope
        self.state: dict[str, Any] = {}
        self.tasks: set[asyncio.Task[None]] = set()  # app calls in flight
        self._reactor = _asyncio_reactor(reactor)
        self.loop = loop or self._reactor._asyncioEventloop
        self._lifespan = Lifespan(app, self.state) if lifespan else None
        self._ready: asyncio.Future[None] | None = None
        # Fires once startup is over; `startup_error` then says whether it failed.
        self.started: defer.Deferred[None] = defer.Deferred()
        self.startup_error: LifespanFailed | None = None
        self._reactor.callWhenRunning(self._start)
        self._reactor.addSystemEventTrigger("before", "shutdown", self._stop)

    def _start(self) -> None:
        self._ready = self.loop.create_future()
        startup = self.loop.create_task(self._startup())
        defer.Deferred.fromFuture(startup).chainDeferred(self.started)

    async def _startup(self) -> None:
        assert self._ready is not None
        try:
            if self._lifespan is not None:
                await self._lifespan.startup()
        except LifespanFailed as failed:
            # Requests answer 503 until the reactor, stopped here, has stopped.
            self.startup_error = failed
            self._ready.set_exception(failed)
            self._ready.exception()
            _log.critical("ASGI lifespan startup failed: {m}", m=str(failed))
            if self._reactor.running:
                self._reactor.stop()
            return
        self._ready.set_result(None)

    def _stop(self) -> defer.Deferred[None] | None:
        if self._lifespan is None:
            return None
        coro = self._lifespan.shutdown(self.shutdown_timeout)
        return defer.Deferred.fromFuture(self.loop.create_task(coro))

    async def ready(self) -> None:
        """Return once the app's lifespan startup is over; raise if it failed."""
        if self._ready is not None:
            await self._ready

    def render(self, request: Request) -> bytes | int:
        """The resource lane: a `twisted.web` request through the tree."""
        # A WebSocket opens with an Upgrade (RFC 6455) or, on an HTTP/2 stream, with
        # an extended CONNECT (RFC 8441).
        opens = (
            request.requestHeaders.hasHeader(b"upgrade") or request.method == b"CONNECT"
        )
        if opens and asgi_websocket.is_websocket(request):
            return asgi_websocket.serve(self, request)
        Exchange(self, RequestAnswer(request), partial(self.scope, request)).begin()
        return NOT_DONE_YET

    def serve(self, request: DirectRequest) -> None:
        """The direct lane (`twisted_host.http.lanes`): no `Request` at all."""
        scope = partial(direct_scope, request, self.state, self.root_path)
        Exchange(self, request, scope).begin()

    def scope(self, request: Request) -> Scope:
        """The ASGI HTTP scope of a request, as uvicorn builds it."""
        return request_scope(request, self.state, self.root_path)
