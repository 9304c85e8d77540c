"""One mount's part of a race: the burst client's lines become events, and the Site's
own figures (reactor lag, the WSGI pool) are sampled beside them on the same clock."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, cast

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from twisted_host.dashboard.race.feed import Feed
from twisted_host.dashboard.stats import LAG_INTERVAL, Stats

_CLIENT = "twisted_host.dashboard.race.client"
_GRACE = 5.0  # seconds past the client's own timeout before it is killed


@dataclass(frozen=True)
class Target:
    name: str  # a mount of the Site, or uvicorn
    url: str  # what the burst GETs
    label: str  # what serves it


@dataclass
class Timing:
    start: float
    first: float | None = None
    end: float | None = None
    status: int | None = None
    error: str | None = None


@dataclass
class LegRecord:
    """What was measured: times in seconds from the leg's first request."""

    target: Target
    timings: dict[int, Timing] = field(default_factory=dict)
    lags: list[tuple[float, float]] = field(default_factory=list)  # (t, seconds late)
    busy: list[tuple[float, int]] = field(default_factory=list)
    backlog: list[tuple[float, int]] = field(default_factory=list)


class Leg(asyncio.SubprocessProtocol):
    """The client runs as a subprocess of the reactor's own asyncio loop: under the
    asyncio reactor on uvloop, Twisted's `spawnProcess` left the client a zombie,
    never reaped, and its output after the first lines unread."""

    def __init__(
        self,
        reactor: IReactorTime,
        feed: Feed,
        stats: Stats,
        target: Target,
        requests: int,
        timeout: float,
    ) -> None:
        self.reactor = reactor
        self.feed = feed
        self.stats = stats
        self.record = LegRecord(target)
        self.requests = requests
        self.timeout = timeout
        self.done: Deferred[LegRecord] = Deferred()
        self._buffer = b""
        self._origin: float | None = None
        self._watermark = 0.0  # the newest lag sample already taken
        self._sampler = LoopingCall(self._sample)
        self._sampler.clock = reactor
        self._killer: IDelayedCall | None = None
        self._transport: asyncio.SubprocessTransport | None = None

    def start(self) -> Deferred[LegRecord]:
        argv = [self.record.target.url, str(self.requests), f"{self.timeout:g}"]
        # Its stderr is ours: a crash of the client shows in the server's log.
        spawned = asyncio.get_running_loop().subprocess_exec(
            lambda: self,
            *(sys.executable, "-m", _CLIENT, *argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=None,
        )
        Deferred.fromFuture(asyncio.ensure_future(spawned)).addErrback(self._failed)
        self._killer = self.reactor.callLater(self.timeout + _GRACE, self._kill)
        return self.done

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.SubprocessTransport, transport)

    def _kill(self) -> None:
        self._killer = None
        if self._transport is not None:
            self._transport.kill()

    # --- the client's lines ---------------------------------------------------------

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._line(json.loads(line))

    def _line(self, line: dict[str, Any]) -> None:
        at = float(line["at"])
        if self._origin is None:
            self._origin = self._watermark = at
            self._sampler.start(LAG_INTERVAL, now=True)
        t = at - self._origin
        index, phase = int(line["i"]), str(line["phase"])
        timing = self.record.timings.setdefault(index, Timing(t))
        if phase == "first":
            timing.first = t
        elif phase == "end":
            timing.end, timing.status = t, line.get("status")
            timing.error = line.get("error")
        event = {"mount": self.record.target.name, "i": index, "phase": phase}
        event.update(t=round(t, 4), status=timing.status, error=timing.error)
        self.feed.publish("request", **event)

    # --- the Site's figures -----------------------------------------------------------

    def _sample(self) -> None:
        assert self._origin is not None
        now = self.stats.clock() - self._origin
        raw = []
        for at, lag in reversed(self.stats.lags):
            if at <= self._watermark:
                break
            raw.append((at, lag))
        if raw:
            self._watermark = raw[0][0]
        fresh = [(round(at - self._origin, 4), round(lag, 4)) for at, lag in raw[::-1]]
        # The demo's WSGI mount is the Site's only one while /race is served.
        pools = self.stats.wsgi_pools
        busy = sum(len(pool.working) for pool in pools)
        backlog = sum(pool.q.qsize() for pool in pools)
        self.record.lags += fresh
        self.record.busy.append((now, busy))
        self.record.backlog.append((now, backlog))
        sample = {"mount": self.record.target.name, "t": round(now, 4)}
        sample.update(busy=busy, backlog=backlog, lags=fresh)
        self.feed.publish("sample", **sample)

    # --- the end ----------------------------------------------------------------------

    def connection_lost(self, exc: Exception | None) -> None:
        # asyncio calls this once the process has exited and its pipes are drained.
        if self._killer is not None and self._killer.active():
            self._killer.cancel()
        if self._sampler.running:
            self._sampler.stop()
            self._sample()  # the lag of a reactor that was blocked until just now
        self.done.callback(self.record)

    def _failed(self, failure: Failure) -> None:
        if self._killer is not None and self._killer.active():
            self._killer.cancel()
        self.done.errback(failure)
