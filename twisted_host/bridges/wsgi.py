"""The WSGI mount: Twisted's `WSGIResource` on a thread pool of its own.

Not the reactor's shared pool (`deferToThread`, DNS): a slow WSGI view must not starve
them, and the pool's size is the WSGI mount's concurrency, a setting of its own.

Around the stock resource, three things Twisted leaves out: a bounded queue in front
of the pool (503 with `Retry-After` when it is full), no work for a client that left
before a thread picked its request up, and the app iterator's `close()` on every path.
And one thing done cheaper: the answer goes to the reactor in one hand-off per 64 KiB
instead of a blocking round trip for every chunk plus one to finish.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import partial
from queue import SimpleQueue
from typing import Any, cast

from twisted.internet.interfaces import IReactorCore
from twisted.internet.threads import blockingCallFromThread
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET, Request
from twisted.web.wsgi import WSGIResource, _WSGIResponse

from core.content import error_page
from core.contract import HTML
from twisted_host.types import WSGIApp

_log = Logger()

FLUSH_BYTES = 64 * 1024  # past this much, wait for the reactor to take the answer


class _Response(_WSGIResponse):
    """Twisted's per-request WSGI driver, with `run` reworked (see the module)."""

    def run(self) -> None:
        if self._requestFinished:
            return  # the client left while the request waited for a thread
        chunks: list[bytes] = []
        size = 0
        iterator: Any = None
        try:
            iterator = self.application(self.environ, self.startResponse)
            for chunk in iterator:
                if self._requestFinished:
                    return
                if chunk:
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= FLUSH_BYTES:
                        self._hand_over(chunks, finish=False, wait=True)
                        chunks, size = [], 0
        except BaseException:
            self.reactor.callFromThread(
                self._failed, self.started, Failure(*sys.exc_info())
            )
            self.started = True
            return
        finally:
            self._close(iterator)
        self._hand_over(chunks, finish=True, wait=False)

    def _close(self, iterator: Any) -> None:
        # PEP 3333: close() once the iterator is done with, whatever happened.
        close = getattr(iterator, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                _log.failure("WSGI iterator's close() failed")

    def _hand_over(self, chunks: list[bytes], *, finish: bool, wait: bool) -> None:
        started, self.started = self.started, True
        if wait:
            blockingCallFromThread(self.reactor, self._deliver, started, chunks, finish)
        else:
            self.reactor.callFromThread(self._deliver, started, chunks, finish)

    def _deliver(self, started: bool, chunks: list[bytes], finish: bool) -> None:
        # In the reactor thread.
        if self._requestFinished:
            return  # the client is gone: writes are dropped quietly
        if not started:
            if getattr(self, "headers", None) is None:  # no start_response call
                self._failed(
                    False, Failure(RuntimeError("start_response was not called"))
                )
                return
            self._sendResponseHeaders()
        request: Request = self.request
        if chunks:
            request.write(b"".join(chunks))
        if finish:
            request.finish()

    def _failed(self, started: bool, failure: Failure) -> None:
        self._log.failure("WSGI application error", failure=failure)
        if self._requestFinished:
            return
        if started:
            self.request.loseConnection()
            return
        body = error_page(500, "The server failed to answer this request.").encode()
        self.request.setResponseCode(500)
        self.request.setHeader(b"content-type", HTML.encode())
        self.request.setHeader(b"content-length", b"%d" % len(body))
        self.request.write(body)
        self.request.finish()


class WSGIPool:
    """Threads for the WSGI mount: one C queue (`SimpleQueue`) and no coordinator.

    Twisted's `ThreadPool` passes every task through a coordinating "team" with locks
    and worker elections: about a tenth of the WSGI mount's CPU per request. This
    pool offers what `WSGIResource` calls (`callInThread`) and what `/stats` reads
    (`max`, `working`, `waiters`, `q.qsize()`), starting threads as work needs them.
    """

    def __init__(self, size: int, name: str = "wsgi") -> None:
        self.max = size
        self.name = name
        self._tasks: SimpleQueue[Callable[[], object] | None] = SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._busy: list[bool] = []  # one flag per thread: a store is atomic
        self._running = False

    def start(self) -> None:
        self._running = True

    def callInThread(self, func: Callable[..., object], *args: Any) -> None:
        self._tasks.put(partial(func, *args) if args else func)
        # A new thread when queued work outnumbers the idle threads (a burst).
        if self._running and len(self._threads) < self.max:
            idle = len(self._busy) - sum(self._busy)
            if self._tasks.qsize() > idle:
                self._spawn()

    def stop(self) -> None:
        self._running = False
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self._busy.clear()

    def _spawn(self) -> None:
        index = len(self._threads)
        self._busy.append(False)
        thread = threading.Thread(
            target=self._work, args=(index,), name=f"{self.name}-{index}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _work(self, index: int) -> None:
        busy = self._busy
        while (task := self._tasks.get()) is not None:
            busy[index] = True
            try:
                task()
            except BaseException:
                _log.failure("WSGI pool task failed")
            finally:
                busy[index] = False

    @property
    def working(self) -> list[None]:
        return [None] * sum(self._busy)

    @property
    def waiters(self) -> list[None]:
        return [None] * (len(self._busy) - sum(self._busy))

    @property
    def q(self) -> SimpleQueue[Callable[[], object] | None]:
        return self._tasks


class WSGIMount(WSGIResource):
    """A `WSGIResource` on a `WSGIPool` that starts and stops with the reactor."""

    def __init__(
        self, reactor: IReactorCore, app: WSGIApp, threads: int, queue: int = 200
    ) -> None:
        self.pool = WSGIPool(threads)
        self.queue = queue
        self.inflight = 0  # requests rendered and not yet finished (reactor thread)
        super().__init__(reactor, self.pool, app)
        reactor.callWhenRunning(self.pool.start)
        reactor.addSystemEventTrigger("during", "shutdown", self.pool.stop)

    def render(self, request: Request) -> int | bytes:
        if self.inflight - self.pool.max >= self.queue:
            request.setResponseCode(503)
            request.setHeader(b"retry-after", b"1")
            request.setHeader(b"content-type", HTML.encode())
            detail = (
                f"All {self.pool.max} WSGI threads are busy "
                f"and {self.queue} requests wait."
            )
            return error_page(503, detail).encode()
        self.inflight += 1
        request.notifyFinish().addBoth(self._finished)
        response = _Response(
            self._reactor, self._threadpool, self._application, request
        )
        # The input ends where the body does (a chunked one has no Content-Length):
        # said as gunicorn says it, so that Werkzeug reads a chunked body too.
        environ = cast(dict[str, object], response.environ)  # Twisted says str values
        environ["wsgi.input_terminated"] = True
        response.start()
        return NOT_DONE_YET

    def _finished(self, _: object) -> None:
        self.inflight -= 1
