"""A graceful stop on SIGTERM or SIGINT, the way gunicorn and uvicorn do it.

The first signal turns `/readyz` to 503, then (after `drain_delay` seconds, in which a
balancer polling it stops sending here) stops accepting connections, closes the idle
keep-alive ones (and those that sent nothing for a second), lets requests in flight
finish (up to a grace period; each connection closes after its answer), then stops
the reactor, whose shutdown runs the ASGI lifespan shutdown, stops the WSGI pool and
uvicorn. A second signal exits at once. Twisted's own handlers stop the reactor
straight away, cutting every request in flight.

`restart` (SIGHUP in a single process: `twisted_host.run.restart`) drains the same
way but leaves the listening socket open, so that connections wait in its queue for
the process that `run` then executes in place of this one; SIGTERM or SIGINT during
it turns it into a stop.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from types import FrameType

from twisted.internet.interfaces import IListeningPort
from twisted.internet.task import LoopingCall

from twisted_host.http.health import Readiness
from twisted_host.http.site import TwistbridgeSite
from twisted_host.http.websocket import GOING_AWAY
from twisted_host.run.process import say

POLL = 0.05  # seconds between looks at the connections still open
# Seconds a connection that has not sent a request yet is left open while draining:
# one just accepted may have its first request on the way (closing it would fail a
# request no other server saw; another worker on the same socket would have taken
# the connection). An idle keep-alive connection is closed at once, as gunicorn and
# uvicorn do: a balancer then sends its next request elsewhere.
QUIET = 1.0


class GracefulShutdown:
    def __init__(
        self,
        reactor: object,
        site: TwistbridgeSite,
        grace: float,
        on_begin: Callable[[], None] | None = None,
        readiness: Readiness | None = None,
        drain_delay: float = 0.0,
    ) -> None:
        self.reactor = reactor
        self.site = site
        self.grace = grace
        self.on_begin = on_begin
        self.readiness = readiness
        self.drain_delay = drain_delay
        self.port: IListeningPort | None = None
        self.stopping = False
        self.restarting = False  # stopping in order to run again, on the same socket
        self._deadline = 0.0
        self._poll: LoopingCall | None = None

    def install(self) -> None:
        """Take SIGTERM and SIGINT over from Twisted (call once the reactor runs)."""
        signal.signal(signal.SIGTERM, self._signalled)
        signal.signal(signal.SIGINT, self._signalled)

    def _signalled(self, signum: int, frame: FrameType | None) -> None:
        if self.restarting:
            self.restarting = False  # the drain goes on; the process ends after it
            say("stopping instead of restarting")
            return
        if self.stopping:
            say("second signal, exiting now")
            os._exit(1)
        self.reactor.callFromThread(self.begin)  # type: ignore[attr-defined]

    def restart(self) -> None:
        """Stop accepting, keeping the listening socket open; answer what is in
        flight (up to the grace period), then stop the reactor, with `restarting`
        set. A restart before the port listens, or during a stop, is ignored."""
        if self.stopping or self.port is None:
            doing = "starting" if self.port is None else "stopping"
            say(f"SIGHUP ignored: the server is {doing}")
            return
        say("SIGHUP: restarting once the requests in flight are answered")
        # No `on_begin` (uvicorn's stop): the requests in flight may be proxied to
        # it; it stops with the reactor, after them.
        self.stopping = self.restarting = True
        self._close()

    def begin(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        if self.readiness is not None:
            self.readiness.draining = True
        if self.on_begin is not None:
            self.on_begin()
        if self.port is None:  # not listening yet: nothing in flight
            self.reactor.stop()  # type: ignore[attr-defined]
            return
        if self.drain_delay > 0:
            self.reactor.callLater(self.drain_delay, self._close)  # type: ignore[attr-defined]
        else:
            self._close()

    def _close(self) -> None:
        assert self.port is not None
        if self.restarting:
            # Out of the reactor but open: the reactor's shutdown does not close it,
            # and connections queue for the next process.
            self.port.stopReading()  # type: ignore[attr-defined]
        else:
            self.port.stopListening()
        # WebSockets are told the server goes (1001); _check closes the rest as each
        # connection's answer in progress ends.
        going = "restarting" if self.restarting else "stopping"
        for channel in list(self.site.connections):
            for wire in channel.websockets:
                wire.loseConnection(GOING_AWAY, f"The server is {going}")
        self._deadline = time.monotonic() + self.grace
        self._poll = LoopingCall(self._check)
        self._poll.clock = self.reactor  # type: ignore[assignment]
        self._poll.start(POLL, now=True)

    def _check(self) -> None:
        now = time.monotonic()
        if self.site.connections and now < self._deadline:
            for channel in list(self.site.connections):
                if channel.requests:
                    channel.persistent = False  # close after the answer in progress
                elif channel.answered or now - channel.last_activity > QUIET:
                    channel.loseConnection()
            return
        for channel in list(self.site.connections):
            if channel.transport is not None:  # past the grace period: cut
                channel.transport.abortConnection()
        assert self._poll is not None
        self._poll.stop()
        self.reactor.stop()  # type: ignore[attr-defined]
