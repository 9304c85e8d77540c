"""One WSGI request's answer: blocks go out as the app yields them, with backpressure.

PEP 3333: a server "must not delay the transmission of any block". The worker thread
puts each block in an outbox and, when no drain is pending, asks the reactor for one
(`callFromThread`); the reactor writes whatever the outbox holds. A small answer (a
block, then the end) usually costs one hand-off, since the end joins the block before
the reactor wakes; a stream is never held back.

The worker waits only when the connection cannot take more: this response is the
request's push producer, so the transport pauses it when its buffer passes its
high-water mark; the worker then waits on a future that the reactor resolves when the
transport resumes (or the client leaves). Unsent data per connection stays bounded
by the transport's buffer plus `HIGH_WATER`, however fast the app yields.

It writes to an `Answer` (`answer`), so that both lanes (`twisted_host.http.lanes`)
run the same code: a `twisted.web` request's, or the direct lane's `DirectRequest`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.wsgi import _WSGIResponse, _wsgiStringToBytes
from zope.interface import implementer

from core.content import error_page
from core.contract import HTML
from twisted_host.bridges.answer import Answer
from twisted_host.bridges.wsgi_input import StreamInput
from twisted_host.http.access_log import line_of

_log = Logger()
# The request line, as the environ of either lane has it.
_LINE_KEYS = ("REQUEST_METHOD", "RAW_URI", "SERVER_PROTOCOL")

HIGH_WATER = 64 * 1024  # bytes in the outbox past which the worker waits
_FINISH = object()  # the outbox's end: the app is done


@implementer(IPushProducer)
class StreamingResponse(_WSGIResponse):
    """Twisted's per-request WSGI driver, with `run` and `write` reworked (see the
    module): the worker thread fills an outbox, the reactor drains it."""

    def __init__(
        self,
        reactor: Any,
        threadpool: Any,
        application: Any,
        answer: Answer,
        environ: dict[str, Any],
        *,
        hand_back: Callable[[Callable[[], object]], None],
        done: Callable[[], object],
    ) -> None:
        """`environ`: the request's, its `wsgi.input` replaced here when the body
        streams; `hand_back`: how the worker reaches the reactor (the mount's
        batches, `handback`); `done`: called once the request has ended, whichever
        way."""
        # What `_WSGIResponse.__init__` sets; its environ is built by the caller.
        self.started = False
        self.reactor = reactor
        self.threadpool = threadpool
        self.application = application
        self.answer = answer
        self.hand_back = hand_back
        self._done: Callable[[], object] | None = done
        answer.on_lost(self._lost)
        self.environ = environ
        stream = answer.body_stream
        if stream is not None:  # on the Site's edge: the body as it arrives
            environ["wsgi.input"] = StreamInput(self.reactor, stream)
        self._lock = threading.Lock()
        self._outbox: list[bytes] = []
        self._queued = 0  # bytes in the outbox
        self._end: object = None  # _FINISH or a Failure, once the app is done
        self._drain_pending = False
        self._paused = False  # the transport's buffer is full
        self._gate: Future[None] | None = None  # what a waiting worker waits on
        self._headers_sent = False  # reactor side
        self._registered = False

    # --- the reactor thread ------------------------------------------------------

    def start(self) -> None:
        self._registered = True
        self.answer.register(self)
        self.threadpool.callInThread(self.run)

    def pauseProducing(self) -> None:
        with self._lock:
            self._paused = True

    def resumeProducing(self) -> None:
        with self._lock:
            self._paused = False
            self._open_gate()

    def stopProducing(self) -> None:
        self._lost()

    def _lost(self) -> None:
        # The client left: nothing to wait for, nothing more to write.
        self._ended()

    def _ended(self) -> None:
        # The answer ended, or the client left, whichever came first.
        with self._lock:
            self._requestFinished = True
            self._open_gate()
        done, self._done = self._done, None
        if done is not None:
            done()

    def _drain(self) -> None:
        with self._lock:
            blocks, self._outbox = self._outbox, []
            self._queued = 0
            self._drain_pending = False
            end = self._end
            self._open_gate()
        if self._requestFinished:
            return  # the client is gone: writes are dropped quietly
        answer = self.answer
        if (blocks or end is _FINISH) and getattr(self, "headers", None) is None:
            self._failed(Failure(RuntimeError("start_response was not called")))
            return
        if blocks:
            self._send_headers()
            answer.write(b"".join(blocks))
        if end is _FINISH:
            self._send_headers()
            self._finish()
        elif isinstance(end, Failure):
            self._failed(end)

    def _send_headers(self) -> None:
        if not self._headers_sent:
            self._headers_sent = True
            # As Twisted's `_sendResponseHeaders`: the app's reason phrase; Server
            # and Date are the server's.
            code, reason = self.status.split(None, 1)
            headers = [
                (_wsgiStringToBytes(name), _wsgiStringToBytes(value))
                for name, value in self.headers
                if name.lower() not in ("server", "date")
            ]
            self.answer.start(int(code), headers, _wsgiStringToBytes(reason))

    def _finish(self) -> None:
        if self._registered:
            self._registered = False
            self.answer.unregister()
        self.answer.finish()
        self._ended()

    def _failed(self, failure: Failure) -> None:
        if self._requestFinished:
            return  # the client left first: `run` said so, at INFO, as the ASGI bridge
        environ = self.environ
        line = line_of(
            *(environ[key].encode("latin-1") for key in _LINE_KEYS)  # either lane's
        )
        self._log.failure("WSGI app raised while serving {line}", failure, line=line)
        if self._headers_sent:
            # Blocks went out: the client must see the answer cut short (as gunicorn).
            if self._registered:
                self._registered = False
                self.answer.unregister()
            self.answer.abort()
            return
        body = error_page(500, "The server failed to answer this request.").encode()
        headers = [
            (b"content-type", HTML.encode()),
            (b"content-length", b"%d" % len(body)),
        ]
        self.answer.start(500, headers)
        self.answer.write(body)
        self._finish()

    def _open_gate(self) -> None:
        # With the lock held.
        gate = self._gate
        if gate is not None and (
            self._requestFinished or (not self._paused and self._queued <= HIGH_WATER)
        ):
            self._gate = None
            gate.set_result(None)

    # --- the worker thread -------------------------------------------------------

    def run(self) -> None:
        if self._requestFinished:
            return  # the client left while the request waited for a thread
        iterator: Any = None
        end: object = _FINISH
        try:
            iterator = self.application(self.environ, self.startResponse)
            for block in iterator:
                if self._requestFinished:
                    return
                if block:
                    self.write(block)
        except BaseException:
            if self._requestFinished:  # most likely a read of a body cut short
                path = self.environ["PATH_INFO"]
                _log.info("WSGI app ended by a disconnect: {path}", path=path)
            end = Failure()  # the exception being handled, with its traceback
        finally:
            self._close(iterator)
            self._hand_over(None, end)

    def write(self, data: bytes) -> None:
        """The app's blocks, and the `write` callable `start_response` returns."""
        self.started = True  # start_response may no longer change the headers
        gate = self._hand_over(data, None)
        if gate is not None:
            gate.result()  # the connection is full: wait until it drains

    def _hand_over(self, block: bytes | None, end: object) -> Future[None] | None:
        gate = None
        with self._lock:
            if self._requestFinished:
                return None
            if block:
                self._outbox.append(block)
                self._queued += len(block)
            if end is not None:
                self._end = end
            schedule = not self._drain_pending
            self._drain_pending = True
            if end is None and (self._paused or self._queued > HIGH_WATER):
                gate = self._gate = self._gate or Future()
        if schedule:
            self.hand_back(self._drain)
        return gate

    def _close(self, iterator: Any) -> None:
        # PEP 3333: close() once the iterator is done with, whatever happened.
        close = getattr(iterator, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                _log.failure("WSGI iterator's close() failed")
