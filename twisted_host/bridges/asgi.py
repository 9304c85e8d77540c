"""`ASGIResource`: any ASGI 3 app as a `twisted.web` resource.

    root.putChild(b"api", ASGIResource(app))

with `twisted.internet.asyncioreactor` installed, before or after the reactor starts.
The app runs as coroutines on the reactor's own event loop; it sees what uvicorn would
show it: the HTTP scope of the ASGI spec 2.4 (`root_path` is the mount's path), the
body as `http.request` messages (as it arrives, under twistbridge's own Site, whose
requests carry a `body_stream`), `http.disconnect` when the client goes, a `send` that
waits while the client is slow to read (backpressure), and its lifespan, run with
the reactor's start and stop. A WebSocket handshake gets the `websocket` scope
(`twisted_host.bridges.asgi_websocket`).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from twisted_host.bridges.flow import SendProducer
from twisted_host.bridges.lifespan import ASGI_VERSION, Lifespan, LifespanFailed
from twisted_host.http.body import BodyInterrupted, BodyStream
from twisted_host.http.headers import OrderedHeadersRequest, received_headers
from twisted_host.http.websocket import WebSocketLimits
from twisted_host.types import ASGIApp, Message, Scope

_log = Logger()

BODY_CHUNK = 64 * 1024  # bytes per `http.request` message
_PLAIN = b"text/plain; charset=utf-8"


def write_plain(request: Request, status: int, text: bytes) -> None:
    """The bridge's own short answer (500, 503, 504...), as uvicorn words it: plain
    text with its length; the caller finishes the request."""
    request.setResponseCode(status)
    request.responseHeaders.setRawHeaders(b"content-type", [_PLAIN])
    request.responseHeaders.setRawHeaders(b"content-length", [b"%d" % len(text)])
    request.write(text)


class ClientDisconnected(OSError):
    """`send` was called after the client went away (ASGI spec: an OSError)."""


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
        if request.requestHeaders.hasHeader(b"upgrade"):
            # Imported here: that module builds on this one.
            from twisted_host.bridges import asgi_websocket

            if asgi_websocket.is_websocket(request):
                return asgi_websocket.serve(self, request)
        exchange = _Exchange(self, request)
        task = self.loop.create_task(exchange.run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        exchange.task = task
        return NOT_DONE_YET

    def scope(self, request: Request) -> Scope:
        """The ASGI HTTP scope of a request, as uvicorn builds it."""
        # Behind a path-prefixing proxy, `path` and `raw_path` start with the proxy's
        # prefix as `root_path` does (uvicorn's --root-path, ASGI spec 2.4).
        raw_path = self.root_path.encode() + request.path
        query = request.uri.partition(b"?")[2]
        # The path segments that led here: "/asgi" for a child named b"asgi" of the root.
        root_path = self.root_path + "".join(
            "/" + s.decode("utf-8", "replace") for s in request.prepath or ()
        )
        headers = received_headers(request)
        return {
            "type": "http",
            "asgi": ASGI_VERSION,
            "http_version": request.clientproto.decode("ascii")[5:] or "1.0",
            "method": request.method.decode("ascii"),
            "scheme": "https" if request.isSecure() else "http",
            "path": unquote(path)
            if "%" in (path := raw_path.decode("latin-1"))
            else path,
            "raw_path": raw_path,
            "query_string": query,
            "root_path": root_path,
            "headers": headers,
            "client": _address(request.getClientAddress()),
            "server": _address(request.getHost()),
            "state": dict(self.state),
        }


def _address(address: object) -> tuple[str, int] | None:
    if isinstance(address, IPv4Address | IPv6Address):
        return (address.host, address.port)
    return None


class _Exchange(SendProducer):
    """One request and its app call: the `receive` and `send` the app is given."""

    def __init__(self, resource: ASGIResource, request: Request) -> None:
        self.resource = resource
        self.request = request
        self.task: asyncio.Task[None] | None = None
        self.started = False  # http.response.start sent
        self.complete = False  # the last http.response.body sent
        self.gone = False  # the client went away
        self.timed_out = False  # the resource's request_timeout passed
        self._channel = request.channel  # the request drops it once finished
        request.defaultContentType = None  # the app's headers, and only those
        # The body as it arrives, on the Site's edge; else read by Twisted in full.
        self._stream: BodyStream | None = getattr(request, "body_stream", None)
        assert request.content is not None
        self._body = request.content
        self._body.seek(0)
        self._more_body = True
        super().__init__(resource.loop)
        self._over = self.loop.create_future()  # complete or gone
        self._grace: asyncio.TimerHandle | None = None
        request.notifyFinish().addErrback(self._lost)
        # The channel pauses a producer when the client reads slowly: registered at
        # the first body with more to come, as an answer sent in one piece needs none.
        self._producing = False

    async def run(self) -> None:
        resource = self.resource
        try:
            await resource.ready()
        except LifespanFailed:
            self._fail(503, b"Service Unavailable")
            return
        scope = resource.scope(self.request)
        deadline = None
        if resource.request_timeout and self.task is not None:
            deadline = self.loop.call_later(resource.request_timeout, self._time_out)
        try:
            await resource.app(scope, self.receive, self.send)
        except asyncio.CancelledError:
            if self.timed_out and not self.started:
                self._fail(504, b"Gateway Timeout")
            else:
                _log.warn("ASGI app cancelled: {path}", path=scope["path"])
                self._abort()
            return
        except Exception:
            if self.gone:  # most likely ClientDisconnected from send(): no news
                _log.info("ASGI app ended by a disconnect: {path}", path=scope["path"])
                return
            _log.failure("ASGI app raised while serving {path}", path=scope["path"])
            if self.started:
                self._abort()
            else:
                self._fail(500, b"Internal Server Error")
            return
        finally:
            if deadline is not None:
                deadline.cancel()
        if self.gone:
            return  # nobody to answer, nothing to report (as uvicorn)
        if not self.started:
            _log.error("ASGI app returned without a response: {p}", p=scope["path"])
            self._fail(500, b"Internal Server Error")
        elif not self.complete:
            _log.error("ASGI app returned mid-response: {p}", p=scope["path"])
            self._abort()

    async def receive(self) -> Message:
        if self._more_body and not self.gone and self._stream is not None:
            try:
                chunk = await self._stream.read().asFuture(self.loop)
            except BodyInterrupted:
                self._more_body = False  # the client left: http.disconnect below
            else:
                more = self._more_body = not self._stream.drained
                return {"type": "http.request", "body": chunk, "more_body": more}
        if self._more_body and not self.gone:
            chunk = self._body.read(BODY_CHUNK)
            self._more_body = len(chunk) == BODY_CHUNK
            if self._more_body:
                # Read ahead so the last chunk says more_body=False, not an empty one.
                here = self._body.tell()
                self._more_body = bool(self._body.read(1))
                self._body.seek(here)
            return {"type": "http.request", "body": chunk, "more_body": self._more_body}
        await asyncio.shield(self._over)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.gone:
            raise ClientDisconnected("the client disconnected")
        kind = message["type"]
        request = self.request
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.started = True
            request.setResponseCode(message["status"])
            # Headers go out as the app gave them: repeated names stay separate.
            headers = request.responseHeaders
            for name, value in message.get("headers", ()):
                headers.addRawHeader(bytes(name), bytes(value))
        elif kind == "http.response.body":
            if not self.started:
                raise RuntimeError("http.response.body before http.response.start")
            if self.complete:
                raise RuntimeError("http.response.body after the response ended")
            body = bytes(message.get("body", b""))
            more = message.get("more_body", False)
            if more and not self._producing:
                self._producing = True
                request.registerProducer(self, True)
            if body or not more:
                request.write(body)
            if not more:
                self._finish()
            else:
                await self.writable()  # the client is slow: wait
                if self.gone:
                    raise ClientDisconnected("the client disconnected")
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")

    def _time_out(self) -> None:
        self.timed_out = True
        _log.warn("ASGI app over {t}s: cancelled", t=self.resource.request_timeout)
        if self.task is not None:
            self.task.cancel()

    def _finish(self) -> None:
        self.complete = True
        self._settle_over()
        self._unregister()
        self.request.finish()

    def _fail(self, status: int, text: bytes) -> None:
        if self.gone:
            return
        write_plain(self.request, status, text)
        self._finish()

    def _abort(self) -> None:
        # Close after what was written so far, as uvicorn does: the client sees a
        # response that stops short (no final chunk, or fewer bytes than announced).
        self.complete = True
        self._settle_over()
        if self.gone:
            return
        if self.request.finished:
            # The answer went out whole and the app raised after it (Starlette's
            # error middleware re-raises): the request has let go of its channel.
            self._channel.loseConnection()
            return
        self._unregister()
        self.request.loseConnection()

    def _unregister(self) -> None:
        if self._producing:
            self._producing = False
            self.request.unregisterProducer()

    def _lost(self, reason: object) -> None:
        self.gone = True
        self._settle_over()
        self.resumeProducing()
        # An app that ignores http.disconnect is cancelled after a grace period.
        task = self.task
        if task is not None and not task.done():
            grace = self.resource.disconnect_grace
            self._grace = self.loop.call_later(grace, task.cancel)
            task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self._grace is not None:
            self._grace.cancel()

    def _settle_over(self) -> None:
        if not self._over.done():
            self._over.set_result(None)
