"""The busy pages: a handler that returns a Deferred, one that blocks the reactor, and
a coroutine that awaits a thread.

Klein runs its handlers on the reactor thread, as twisted.web does: `busy` returns
`deferLater`'s Deferred, and Klein answers when it fires (example 4-10); when the
client goes away, Klein cancels it. `busy/blocking` is example 4-9, `time.sleep` in
the handler, on the reactor: every mount of the Site stalls with it. `busy/thread` is
an `async def` that awaits `deferToThread` (Klein runs a coroutine with
`ensureDeferred`: it awaits Deferreds, not asyncio's futures). A bad `seconds` raises
`BadSeconds`, which the `ClientError` handler answers with a 400.
"""

from __future__ import annotations

import time

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.web.server import Request

from core.busy import WAITED_ON, WAITED_ON_HEADER, parse_seconds
from core.content import busy_page
from klein_app.errors import Routes, app, html


class Busy(Routes):
    def seconds(self, request: Request) -> float:
        values = request.args.get(b"seconds")
        raw = values[0].decode("latin-1") if values else None
        return parse_seconds(raw, self.settings.busy_default, self.settings.busy_max)

    def done(self, request: Request, feature: str) -> bytes:
        request.setHeader(WAITED_ON_HEADER, WAITED_ON[("klein", feature)])
        return html(request, busy_page())

    @app.route("/busy", methods=["GET"])
    def busy(self, request: Request) -> Deferred[bytes]:
        """Waits S seconds on a reactor timer, holding no thread."""
        seconds = self.seconds(request)
        return deferLater(reactor, seconds, self.done, request, "busy")

    @app.route("/busy/blocking", methods=["GET"])
    def blocking(self, request: Request) -> bytes:
        """Sleeps S seconds on the reactor thread: nothing else runs meanwhile."""
        seconds = self.seconds(request)
        time.sleep(seconds)
        return self.done(request, "busy-blocking")

    @app.route("/busy/thread", methods=["GET"])
    async def thread(self, request: Request) -> bytes:
        """Hands the sleep to a reactor pool thread, and awaits it."""
        seconds = self.seconds(request)
        await deferToThread(time.sleep, seconds)
        return self.done(request, "busy-thread")
