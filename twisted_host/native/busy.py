"""The busy pages: waiting with a Deferred, blocking the reactor, and a thread.

"Twisted Web in 60 Seconds", asynchronous-deferred: `busy` returns `NOT_DONE_YET`
and finishes the request from a `deferLater` callback, so the reactor serves others
meanwhile (the book's example 4-10); interrupted: when the client goes away,
`notifyFinish` errbacks and the pending call is cancelled. `busy/blocking` is
example 4-9, `time.sleep` on the reactor thread, which stalls every other request;
`busy/thread` hands the same sleep to `deferToThread`. A bad `seconds` raises
`BadSeconds`, which `Page.render` answers with a 400.
"""

from __future__ import annotations

import time

from twisted.internet import reactor
from twisted.internet.defer import CancelledError
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET, Request

from core.busy import WAITED_ON, WAITED_ON_HEADER, parse_seconds
from core.content import busy_page
from core.settings import Settings
from twisted_host.native.errors import Page, html


class _Wait(Page):
    feature = ""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def seconds(self, request: Request) -> float:
        values = request.args.get(b"seconds")
        raw = values[0].decode("latin-1") if values else None
        return parse_seconds(raw, self.settings.busy_default, self.settings.busy_max)

    def done(self, request: Request) -> bytes:
        request.setHeader(WAITED_ON_HEADER, WAITED_ON[("native", self.feature)])
        return html(request, busy_page())

    def finish(self, request: Request) -> None:
        request.write(self.done(request))
        request.finish()


class Busy(_Wait):
    feature = "busy"

    def render_GET(self, request: Request) -> int:
        seconds = self.seconds(request)
        d = deferLater(reactor, seconds, lambda: request)
        d.addCallback(self.finish)
        d.addErrback(lambda failure: failure.trap(CancelledError))
        request.notifyFinish().addErrback(lambda _: d.cancel())
        return NOT_DONE_YET


class Blocking(_Wait):
    feature = "busy-blocking"

    def render_GET(self, request: Request) -> bytes:
        seconds = self.seconds(request)
        time.sleep(seconds)
        return self.done(request)


class Threaded(_Wait):
    feature = "busy-thread"

    def render_GET(self, request: Request) -> int:
        seconds = self.seconds(request)
        finished: list[Failure] = []
        request.notifyFinish().addErrback(finished.append)
        d = deferToThread(time.sleep, seconds)
        # A thread cannot be cancelled: when the client left meanwhile, drop the answer.
        d.addCallback(lambda _: None if finished else self.finish(request))
        return NOT_DONE_YET


def create_busy(settings: Settings) -> Busy:
    busy = Busy(settings)
    busy.putChild(b"blocking", Blocking(settings))
    busy.putChild(b"thread", Threaded(settings))
    return busy
