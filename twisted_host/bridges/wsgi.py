"""The WSGI mount: Twisted's `WSGIResource` on a thread pool of its own.

Not the reactor's shared pool (`deferToThread`, DNS): a slow WSGI view must not starve
them, and the pool's size is the WSGI mount's concurrency, a setting of its own.

Around the stock resource, three things Twisted leaves out: a bounded queue in front
of the pool (503 with `Retry-After` when it is full), no work for a client that left
before a thread picked its request up, and the app iterator's `close()` on every path.
And the answer streams (`wsgi_response`): each block goes out as it is yielded, the
worker waits only while the connection is full, and a small answer costs one hand-off
to the reactor instead of a blocking round trip for every chunk plus one to finish;
the hand-offs of all the mount's threads travel in batches (`handback`). A request
comes either lane (`twisted_host.http.lanes`): through `render` as a `twisted.web`
request, or through `serve` straight from the C parser; both run the same response.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from io import BytesIO
from queue import SimpleQueue
from typing import Any, cast

from twisted.internet.interfaces import IReactorCore, IReactorThreads
from twisted.logger import Logger
from twisted.web.server import NOT_DONE_YET, Request
from twisted.web.wsgi import WSGIResource, _InputStream

from core.content import error_page
from core.contract import HTML
from twisted_host.bridges.answer import Answer, RequestAnswer
from twisted_host.bridges.handback import HandBack
from twisted_host.bridges.wsgi_environ import build_environ, direct_environ
from twisted_host.bridges.wsgi_response import StreamingResponse
from twisted_host.http.direct import DirectRequest
from twisted_host.types import WSGIApp

_log = Logger()


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

    streams_body = True  # on the Site's edge, the app reads the body as it arrives

    def __init__(
        self,
        reactor: IReactorCore,
        app: WSGIApp,
        threads: int,
        queue: int = 200,
        *,
        root_path: str = "",
    ) -> None:
        self.pool = WSGIPool(threads)
        self.queue = queue
        # Where a path-prefixing proxy serves the Site: the start of every SCRIPT_NAME
        # (uvicorn's --root-path; gunicorn reads SCRIPT_NAME from its environment).
        self.root_path = root_path
        self.inflight = 0  # requests rendered and not yet finished (reactor thread)
        self.hand_back = HandBack(cast(IReactorThreads, reactor))
        super().__init__(reactor, self.pool, app)
        reactor.callWhenRunning(self.pool.start)
        reactor.addSystemEventTrigger("during", "shutdown", self.pool.stop)

    def render(self, request: Request) -> int | bytes:
        """The resource lane: a `twisted.web` request through the tree."""
        answer = RequestAnswer(request)
        if self._admitted(answer):
            self._respond(answer, build_environ(request))
        return NOT_DONE_YET

    def serve(self, request: DirectRequest) -> None:
        """The direct lane (`twisted_host.http.lanes`): no `Request` at all."""
        if self._admitted(request):
            # A body that streams is `body_stream` (the response's input then); one
            # read whole before its turn came (pipelined) is `content`.
            body = request.content if request.content is not None else BytesIO()
            body.seek(0)
            self._respond(request, direct_environ(request, _InputStream(body)))

    def _admitted(self, answer: Answer) -> bool:
        """Whether the request may wait for a thread; if not, 503 is its answer."""
        if self.inflight - self.pool.max < self.queue:
            return True
        detail = (
            f"All {self.pool.max} WSGI threads are busy and {self.queue} requests wait."
        )
        body = error_page(503, detail).encode()
        answer.start(
            503,
            [
                (b"retry-after", b"1"),
                (b"content-type", HTML.encode()),
                (b"content-length", b"%d" % len(body)),
            ],
        )
        answer.write(body)
        answer.finish()
        return False

    def _respond(self, answer: Answer, environ: dict[str, Any]) -> None:
        self.inflight += 1
        response = StreamingResponse(
            self._reactor,
            self._threadpool,
            self._application,
            answer,
            environ,
            hand_back=self.hand_back,
            done=self._finished,
        )
        if self.root_path:
            environ = response.environ
            environ["SCRIPT_NAME"] = self.root_path + environ["SCRIPT_NAME"]
        response.start()

    def _finished(self) -> None:
        self.inflight -= 1
