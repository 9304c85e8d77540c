"""The live figures behind `/` and `/stats`: per-mount requests over a sliding window,
the WSGI pool, the ASGI bridge's open app calls, and reactor lag.

Everything here runs on the reactor thread (Site callbacks, WSGI `finish` via
`callFromThread`, the ASGI bridge's coroutines on the reactor's loop), so the figures
need no lock. A request costs one dict lookup and a deque append at each end; the
sorting for percentiles happens only when someone asks for a snapshot.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from twisted.internet.interfaces import IReactorCore, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from core.mounts import MOUNT_NAMES
from twisted_host.dashboard.live import open_streams
from twisted_host.http.access_log_file import AccessLogFile
from twisted_host.http.interfaces import Connection

WINDOW = 5.0  # seconds of history behind requests/s, p50/p99 and the lag maximum
LAG_INTERVAL = 0.1  # the timer whose lateness is the reactor lag
SITE = "site"  # everything outside the mounts: `/`, `/stats`, `/compare/...`
# Bounds memory under a flood: 200k entries cover 40k requests/s over the window,
# several times what one reactor thread serves.
_MAX_SAMPLES = 200_000

# Upper bounds, in seconds, of the latency histogram `/metrics` exports: from a fast
# `/hello` (under 1 ms) to the longest `busy` page (60 s).
LATENCY_BUCKETS = (
    *(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
    *(1.0, 2.5, 5.0, 10.0, 30.0, 60.0, math.inf),
)


@dataclass(slots=True)
class _Mount:
    in_flight: int = 0
    requests: int = 0  # finished since the start
    # (finished at, seconds taken), oldest first, pruned to the window.
    done: deque[tuple[float, float]] = field(
        default_factory=lambda: deque(maxlen=_MAX_SAMPLES)
    )
    # Since `/metrics` last took them (`take`): requests by (method, status), the
    # latency histogram's bucket counts and their sum. Plain ints per request; the
    # Prometheus values (shared memory, a lock each) are updated once a second.
    counts: dict[tuple[bytes, int], int] = field(default_factory=dict)
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    seconds: float = 0.0

    def take(self) -> tuple[dict[tuple[bytes, int], int], list[int], float]:
        """The counts since the last call, and zero them."""
        taken = (self.counts, self.buckets, self.seconds)
        self.counts, self.buckets = {}, [0] * len(LATENCY_BUCKETS)
        self.seconds = 0.0
        return taken


def _prune(samples: deque[tuple[float, float]], now: float) -> None:
    horizon = now - WINDOW
    while samples and samples[0][0] < horizon:
        samples.popleft()


def _percentile(ordered: list[float], fraction: float) -> float:
    # Nearest rank: a value some request actually took, never an interpolation.
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class WorkerPool(Protocol):
    """What the figures read of a thread pool: Twisted's `ThreadPool` offers it, and
    so does the WSGI mount's own pool."""

    max: int

    @property
    def working(self) -> Sized: ...

    @property
    def waiters(self) -> Sized: ...

    @property
    def q(self) -> _Queue: ...


class _Queue(Protocol):
    def qsize(self) -> int: ...


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


class Stats:
    """The figures of one Site; `snapshot()` is the `/stats` document."""

    def __init__(
        self,
        reactor: IReactorCore,
        wsgi_pools: Sequence[WorkerPool] = (),
        asgi_tasks: Sequence[Sized] = (),
        clock: Callable[[], float] = time.monotonic,
        *,
        mounts: Sequence[str] = MOUNT_NAMES,
    ) -> None:
        """`mounts`: the names of the Site's mounts ("api/v1" for /api/v1);
        `wsgi_pools` and `asgi_tasks`: each WSGI mount's pool, each bridge's tasks."""
        self.clock = clock
        self.started_at = clock()
        self.mounts = {name: _Mount() for name in (*mounts, SITE)}
        # A mount's prefix, by its number of segments, deepest first: one dict lookup
        # per depth (one, unless a prefix has several segments).
        self._prefixes = {name.encode(): name for name in mounts if name}
        depths = {name.count("/") + 1 for name in mounts if name}
        # An app at `/` (its name is "") takes every path no other mount does.
        self._rest = "" if "" in mounts else SITE
        self._depths = sorted(depths, reverse=True)
        self.wsgi_pools = wsgi_pools
        self.asgi_tasks = asgi_tasks
        # The Site's connections, for the open WebSockets and event streams (the
        # Site is made after these figures, which it reports to).
        self.connections: Iterable[Connection] = ()
        self.lags: deque[tuple[float, float]] = deque(maxlen=_MAX_SAMPLES)
        # Every worker's figures, when this Site is one of `serve --workers N`.
        self.workers: Callable[[], dict[str, Any]] | None = None
        self.access_log: AccessLogFile | None = None  # None: no access log
        # The uvicorn child's state (`twisted_host.run.uvicorn_keeper`), when one runs.
        self.uvicorn: Callable[[], dict[str, Any] | None] | None = None
        # The Site's own pages on this port (the dashboard's, the ops endpoints'), as
        # paths: counted as "site" rather than as the app at `/` (`twisted_host.site`).
        self.own_pages: tuple[bytes, ...] = ()
        self._due: float | None = None
        self._lag_loop = LoopingCall(self._tick)
        self._lag_loop.clock = cast(IReactorTime, reactor)
        reactor.callWhenRunning(self._start_lag)
        reactor.addSystemEventTrigger("before", "shutdown", self._stop_lag)

    # --- requests: the Site's RequestObserver -------------------------------------------

    def mount_of(self, path: bytes) -> str:
        """The mount a request path belongs to (by its first segments), or "site"
        (the app at `/`, when there is one)."""
        if self._depths:
            parts = path.split(b"/", self._depths[0] + 1)
            for depth in self._depths:
                if len(parts) > depth:
                    name = self._prefixes.get(b"/".join(parts[1 : depth + 1]))
                    if name is not None:
                        return name
        if self._rest == "" and any(_under(path, page) for page in self.own_pages):
            return SITE
        return self._rest

    def start(self, path: bytes) -> tuple[_Mount, float]:
        mount = self.mounts[self.mount_of(path)]
        mount.in_flight += 1
        return mount, self.clock()

    def end(self, token: object, method: bytes, code: int) -> None:
        mount, started = cast(tuple[_Mount, float], token)
        now = self.clock()
        taken = now - started
        mount.in_flight -= 1
        mount.requests += 1
        mount.done.append((now, taken))
        _prune(mount.done, now)
        key = (method, code)
        mount.counts[key] = mount.counts.get(key, 0) + 1
        mount.buckets[bisect_left(LATENCY_BUCKETS, taken)] += 1
        mount.seconds += taken

    # --- reactor lag --------------------------------------------------------------------

    def _start_lag(self) -> None:
        self._lag_loop.start(LAG_INTERVAL, now=True).addErrback(self._lag_failed)

    def _stop_lag(self) -> None:
        if self._lag_loop.running:
            self._lag_loop.stop()

    def _lag_failed(self, failure: Failure) -> None:
        failure.printTraceback()

    def _tick(self) -> None:
        now = self._lag_loop.clock.seconds()
        if self._due is not None:
            self.lags.append((self.clock(), max(0.0, now - self._due)))
            _prune(self.lags, self.clock())
        # LoopingCall schedules its next call on the grid of intervals from its start,
        # so that grid point is when the next call is due.
        start = self._lag_loop.starttime or now
        self._due = (
            start + (math.floor((now - start) / LAG_INTERVAL) + 1) * LAG_INTERVAL
        )

    # --- the document -------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        now = self.clock()
        uptime = now - self.started_at
        # Early on, a rate over the whole window would read low: divide by what exists.
        span = min(WINDOW, max(uptime, 1.0))
        mounts: dict[str, dict[str, Any]] = {}
        for name, mount in self.mounts.items():
            _prune(mount.done, now)
            ordered = sorted(taken for _, taken in mount.done)
            mounts[name] = {
                "requests_per_second": round(len(ordered) / span, 2),
                "in_flight": mount.in_flight,
                "p50_ms": _ms(_percentile(ordered, 0.5)) if ordered else None,
                "p99_ms": _ms(_percentile(ordered, 0.99)) if ordered else None,
                "requests": mount.requests,
            }
        _prune(self.lags, now)
        recent = [lag for at, lag in self.lags if at >= now - 1.0]
        return {
            "window_seconds": WINDOW,
            "uptime_seconds": round(uptime, 1),
            "mounts": mounts,
            "wsgi_pool": self._pool(),
            "asgi_bridge": {"open_tasks": sum(len(tasks) for tasks in self.asgi_tasks)},
            "open": open_streams(self.connections, self.mounts, self.mount_of),
            "reactor_lag_ms": {
                "last": _ms(self.lags[-1][1]) if self.lags else None,
                "max_1s": _ms(max(recent)) if recent else None,
                "max": _ms(max(lag for _, lag in self.lags)) if self.lags else None,
                "interval_ms": LAG_INTERVAL * 1000,
            },
            "access_log": self._access_log(),
            "uvicorn": self.uvicorn() if self.uvicorn is not None else None,
            **({"workers": self.workers()} if self.workers is not None else {}),
        }

    def _access_log(self) -> dict[str, Any] | None:
        log = self.access_log
        if log is None:
            return None
        return {"file": log.name, "pending": len(log.lines), "dropped": log.dropped}

    def _pool(self) -> dict[str, int]:
        # Every WSGI mount has a pool of its own: the figures are their sums.
        pools = self.wsgi_pools
        busy = sum(len(pool.working) for pool in pools)
        idle = sum(len(pool.waiters) for pool in pools)
        return {
            "busy": busy,
            "idle": idle,
            "backlog": sum(pool.q.qsize() for pool in pools),
            "threads": busy + idle,
            "max": sum(pool.max for pool in pools),
        }


def _under(path: bytes, page: bytes) -> bool:
    # "/stats" is under "/stats"; "/compare/echo" under "/compare"; "/" only itself.
    if page.endswith(b"/"):
        return path == page
    return path == page or path.startswith(page + b"/")
