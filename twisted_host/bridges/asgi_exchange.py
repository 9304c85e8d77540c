"""One HTTP request and its ASGI app call: the `receive` and `send` the app is given,
written once against an `Answer` (`answer`), so that both lanes run the same code.

The body comes as `http.request` messages (as it arrives, when the request has a
`body_stream`), `http.disconnect` when the client goes, `send` waits while the client
is slow to read (backpressure); an app that fails answers 500, or is cut after its
answer started; one that overruns the mount's timeout answers 504.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, BinaryIO, Protocol

from twisted.logger import Logger
from twisted.web.server import Request

from twisted_host.bridges.answer import Answer
from twisted_host.bridges.flow import SendProducer
from twisted_host.bridges.lifespan import LifespanFailed
from twisted_host.http.body import BodyInterrupted, BodyStream
from twisted_host.http.websocket import WebSocketLimits
from twisted_host.types import ASGIApp, Message, Scope

_log = Logger()

BODY_CHUNK = 64 * 1024  # bytes per `http.request` message
_PLAIN = b"text/plain; charset=utf-8"


class ASGIHost(Protocol):
    """What an exchange needs of the bridge that runs it (`asgi.ASGIResource`)."""

    app: ASGIApp
    loop: asyncio.AbstractEventLoop
    tasks: set[asyncio.Task[None]]
    state: dict[str, Any]
    request_timeout: float
    disconnect_grace: float
    ws_limits: WebSocketLimits

    async def ready(self) -> None: ...

    def scope(self, request: Request) -> Scope: ...


class ClientDisconnected(OSError):
    """`send` was called after the client went away (ASGI spec: an OSError)."""


def plain_headers(text: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of the bridge's own short answer (500, 503, 504...), as uvicorn
    words it: plain text with its length."""
    return [(b"content-type", _PLAIN), (b"content-length", b"%d" % len(text))]


def write_plain(request: Request, status: int, text: bytes) -> None:
    """The bridge's own short answer on a `Request`; the caller finishes it."""
    request.setResponseCode(status)
    for name, value in plain_headers(text):
        request.responseHeaders.setRawHeaders(name, [value])
    request.write(text)


class Exchange(SendProducer):
    """One request and its app call (see the module)."""

    def __init__(
        self, host: ASGIHost, answer: Answer, scope: Callable[[], Scope]
    ) -> None:
        """`scope()`: the request's scope, made once the app has started (its
        lifespan state is in it)."""
        self.host = host
        self.answer = answer
        self._scope = scope
        self.task: asyncio.Task[None] | None = None
        self.started = False  # http.response.start sent
        self.complete = False  # the last http.response.body sent
        self.gone = False  # the client went away
        self.timed_out = False  # the mount's request_timeout passed
        # The body as it arrives; else read whole (the resource lane), or none.
        self._stream: BodyStream | None = answer.body_stream
        self._body: BinaryIO | None = answer.content
        if self._body is not None:
            self._body.seek(0)
        self._more_body = True
        super().__init__(host.loop)
        self._over: asyncio.Future[None] | None = None  # complete or gone, once asked
        self._grace: asyncio.TimerHandle | None = None
        answer.on_lost(self._lost)
        # The channel pauses a producer when the client reads slowly: registered at
        # the first body with more to come, as an answer sent in one piece needs none.
        self._producing = False

    def begin(self) -> None:
        """Run the app, as a task on the loop."""
        task = self.task = self.loop.create_task(self.run())
        self.host.tasks.add(task)
        task.add_done_callback(self.host.tasks.discard)

    async def run(self) -> None:
        host = self.host
        try:
            await host.ready()
        except LifespanFailed:
            self._fail(503, b"Service Unavailable")
            return
        scope = self._scope()
        deadline = None
        if host.request_timeout and self.task is not None:
            deadline = self.loop.call_later(host.request_timeout, self._time_out)
        try:
            await host.app(scope, self.receive, self.send)
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
        if self._more_body and not self.gone:
            if self._stream is not None:
                try:
                    chunk = await self._stream.read().asFuture(self.loop)
                except BodyInterrupted:
                    self._more_body = False  # the client left: http.disconnect below
                else:
                    more = self._more_body = not self._stream.drained
                    return {"type": "http.request", "body": chunk, "more_body": more}
            else:
                return self._read_whole()
        if self._over is None:
            self._over = self.loop.create_future()
            if self.complete or self.gone:
                self._over.set_result(None)
        await asyncio.shield(self._over)
        return {"type": "http.disconnect"}

    def _read_whole(self) -> Message:
        body = self._body
        if body is None:  # no body at all
            self._more_body = False
            return {"type": "http.request", "body": b"", "more_body": False}
        chunk = body.read(BODY_CHUNK)
        self._more_body = len(chunk) == BODY_CHUNK
        if self._more_body:
            # Read ahead so the last chunk says more_body=False, not an empty one.
            here = body.tell()
            self._more_body = bool(body.read(1))
            body.seek(here)
        return {"type": "http.request", "body": chunk, "more_body": self._more_body}

    async def send(self, message: Message) -> None:
        if self.gone:
            raise ClientDisconnected("the client disconnected")
        kind = message["type"]
        answer = self.answer
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.started = True
            # Bytes-like names and values are the answer's to convert.
            answer.start(message["status"], message.get("headers", ()))
        elif kind == "http.response.body":
            if not self.started:
                raise RuntimeError("http.response.body before http.response.start")
            if self.complete:
                raise RuntimeError("http.response.body after the response ended")
            body = bytes(message.get("body", b""))
            more = message.get("more_body", False)
            if more and not self._producing:
                self._producing = True
                answer.register(self)
            if body or not more:
                answer.write(body)
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
        _log.warn("ASGI app over {t}s: cancelled", t=self.host.request_timeout)
        if self.task is not None:
            self.task.cancel()

    def _finish(self) -> None:
        self.complete = True
        self._settle_over()
        self._unregister()
        self.answer.finish()

    def _fail(self, status: int, text: bytes) -> None:
        if self.gone:
            return
        self.answer.start(status, plain_headers(text))
        self.answer.write(text)
        self._finish()

    def _abort(self) -> None:
        # Close after what was written so far, as uvicorn does: the client sees a
        # response that stops short (no final chunk, or fewer bytes than announced).
        self.complete = True
        self._settle_over()
        if self.gone:
            return
        self._unregister()
        self.answer.abort()

    def _unregister(self) -> None:
        if self._producing:
            self._producing = False
            self.answer.unregister()

    def _lost(self) -> None:
        self.gone = True
        self._settle_over()
        self.resumeProducing()
        # An app that ignores http.disconnect is cancelled after a grace period.
        task = self.task
        if task is not None and not task.done():
            grace = self.host.disconnect_grace
            self._grace = self.loop.call_later(grace, task.cancel)
            task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self._grace is not None:
            self._grace.cancel()

    def _settle_over(self) -> None:
        if self._over is not None and not self._over.done():
            self._over.set_result(None)
