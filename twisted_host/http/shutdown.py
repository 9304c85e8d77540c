"""A graceful stop on SIGTERM or SIGINT, the way gunicorn and uvicorn do it.

The first signal stops accepting connections, closes the idle keep-alive ones, lets
requests in flight finish (up to a grace period), then stops the reactor, whose
shutdown runs the ASGI lifespan shutdown, stops the WSGI pool and uvicorn. A second
signal exits at once. Twisted's own handlers stop the reactor straight away, cutting
every request in flight.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

from twisted.internet.interfaces import IListeningPort
from twisted.internet.task import LoopingCall

from twisted_host.http.site import TwistbridgeSite
from twisted_host.http.websocket import GOING_AWAY

POLL = 0.05  # seconds between looks at the connections still open


class GracefulShutdown:
    def __init__(
        self,
        reactor: object,
        site: TwistbridgeSite,
        grace: float,
        on_begin: Callable[[], None] | None = None,
    ) -> None:
        self.reactor = reactor
        self.site = site
        self.grace = grace
        self.on_begin = on_begin
        self.port: IListeningPort | None = None
        self.stopping = False
        self._deadline = 0.0
        self._poll: LoopingCall | None = None

    def install(self) -> None:
        """Take SIGTERM and SIGINT over from Twisted (call once the reactor runs)."""
        signal.signal(signal.SIGTERM, self._signalled)
        signal.signal(signal.SIGINT, self._signalled)

    def _signalled(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            print(
                "twistbridge: second signal, exiting now", file=sys.stderr, flush=True
            )
            os._exit(1)
        self.reactor.callFromThread(self.begin)  # type: ignore[attr-defined]

    def begin(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        if self.on_begin is not None:
            self.on_begin()
        if self.port is None:  # not listening yet: nothing in flight
            self.reactor.stop()  # type: ignore[attr-defined]
            return
        self.port.stopListening()
        for channel in list(self.site.connections):
            channel.persistent = False  # close after the response in progress
            if channel.websocket is not None:
                channel.websocket.loseConnection(GOING_AWAY, "The server is stopping")
            elif not channel.requests:
                channel.loseConnection()
        self._deadline = time.monotonic() + self.grace
        self._poll = LoopingCall(self._check)
        self._poll.clock = self.reactor  # type: ignore[assignment]
        self._poll.start(POLL, now=True)

    def _check(self) -> None:
        if self.site.connections and time.monotonic() < self._deadline:
            return
        for channel in list(self.site.connections):
            if channel.transport is not None:  # past the grace period: cut
                channel.transport.abortConnection()  # type: ignore[attr-defined]
        assert self._poll is not None
        self._poll.stop()
        self.reactor.stop()  # type: ignore[attr-defined]
