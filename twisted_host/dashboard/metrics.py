"""`/metrics`: the live figures in Prometheus' text format, with `prometheus_client`.

Under `serve --workers N` the supervisor sets `PROMETHEUS_MULTIPROC_DIR` for every
worker: each writes its values to files there, and a scrape, whichever worker
answers it, sums them (`MultiProcessCollector`). Alone, the process exports its own.

A request costs nothing here: `Stats` counts it in plain ints (a dict entry, a
bucket), and `Metrics.update` hands the counts to prometheus_client once a second
and just before a scrape (its values take a lock and, with workers, write shared
memory: 3 µs per request measured, against 45 µs for a whole `/native/hello`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, cast

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from twisted.internet.interfaces import IReactorCore, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.web.server import Request

from twisted_host.dashboard.stats import LATENCY_BUCKETS, Stats
from twisted_host.native.errors import Page
from twisted_host.run import metrics_dir

UPDATE_INTERVAL = 1.0
# Labels take what clients send only from a closed set: any other method is "other",
# so that no client can grow the series without bound.
_METHODS = {m: m.decode() for m in (b"GET", b"HEAD", b"POST", b"PUT", b"DELETE")}
_METHODS.update({m: m.decode() for m in (b"PATCH", b"OPTIONS")})


class Metrics:
    """This process's Prometheus metrics, fed from the Site's `Stats`."""

    def __init__(self, stats: Stats, reactor: IReactorCore) -> None:
        self.stats = stats
        self.path = metrics_dir.current()
        # With workers the values live in files and the registry is built per scrape.
        own = CollectorRegistry() if self.path is None else None
        self.registry = own
        self.requests = Counter(
            "twistbridge_requests",
            "Requests answered, by mount, method and status (499: the client left).",
            ["mount", "method", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "twistbridge_request_duration_seconds",
            "From a request received in full to its answer finished, by mount.",
            ["mount"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.in_flight = self._gauge(
            "twistbridge_requests_in_flight", "Requests being answered.", ("mount",)
        )
        self.wsgi_busy = self._gauge(
            "twistbridge_wsgi_pool_busy", "WSGI pool threads running a request."
        )
        self.wsgi_queue = self._gauge(
            "twistbridge_wsgi_pool_queue", "Requests waiting for a WSGI pool thread."
        )
        self.asgi_open = self._gauge(
            "twistbridge_asgi_open_calls", "ASGI app calls in flight on the bridge."
        )
        self.lag = Gauge(
            "twistbridge_reactor_lag_seconds",
            "How late the latest tick of a 100 ms reactor timer fired, per worker.",
            registry=own,
            multiprocess_mode="liveall",  # one series per worker: a `pid` label
        )
        self.log_dropped = Counter(
            "twistbridge_access_log_dropped_lines",
            "Access log lines the file refused (a full disk), dropped.",
            registry=own,
        )
        self._dropped = 0  # of the access log's count, what the counter has
        self.uvicorn = _UvicornCollector(stats)
        if own is not None:
            own.register(self.uvicorn)
        self._loop = LoopingCall(self.update)
        self._loop.clock = cast(IReactorTime, reactor)
        reactor.callWhenRunning(self._loop.start, UPDATE_INTERVAL, now=False)
        reactor.addSystemEventTrigger("before", "shutdown", self._stop)

    def _gauge(self, name: str, text: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(
            name,
            text,
            list(labels),
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    def _stop(self) -> None:
        if self._loop.running:
            self._loop.stop()
        self.update()  # the last counts reach the files before the worker goes

    def update(self) -> None:
        """Hand what `Stats` counted since the last call to prometheus_client."""
        for name, mount in self.stats.mounts.items():
            counts, buckets, seconds = mount.take()
            for (method, code), n in counts.items():
                label = _METHODS.get(method, "other")
                self.requests.labels(name, label, str(code)).inc(n)
            if seconds or any(buckets):
                histogram = self.latency.labels(name)
                # prometheus_client has no public way to add n observations at once;
                # its buckets and sum are values with `inc` (held by a canary test).
                for i, n in enumerate(buckets):
                    if n:
                        histogram._buckets[i].inc(n)
                histogram._sum.inc(seconds)
            self.in_flight.labels(name).set(mount.in_flight)
        # Every WSGI mount has a pool, every ASGI mount a bridge: their sums.
        pools = self.stats.wsgi_pools
        self.wsgi_busy.set(sum(len(pool.working) for pool in pools))
        self.wsgi_queue.set(sum(pool.q.qsize() for pool in pools))
        self.asgi_open.set(sum(len(tasks) for tasks in self.stats.asgi_tasks))
        if self.stats.lags:
            self.lag.set(self.stats.lags[-1][1])
        log = self.stats.access_log
        if log is not None and log.dropped > self._dropped:
            self.log_dropped.inc(log.dropped - self._dropped)
            self._dropped = log.dropped

    def exposition(self) -> bytes:
        self.update()  # this worker's figures as of now; the others' within a second
        return generate_latest(self._scrape_registry())

    def _scrape_registry(self) -> CollectorRegistry:
        if self.registry is not None:
            return self.registry
        registry = CollectorRegistry()
        MultiProcessCollector(registry, str(self.path))
        registry.register(self.uvicorn)
        return registry

    def workers(self) -> dict[str, Any]:
        """Every worker's figures summed, and each one's reactor lag (`/stats`)."""
        self.update()
        mounts: dict[str, dict[str, float]] = {
            name: {"requests": 0, "in_flight": 0} for name in self.stats.mounts
        }
        sums = dict.fromkeys(_SUMMED.values(), 0.0)
        lags: dict[str, float] = {}
        for family in self._scrape_registry().collect():
            for sample in family.samples:
                mount = sample.labels.get("mount")
                if sample.name == "twistbridge_requests_total" and mount in mounts:
                    mounts[mount]["requests"] += sample.value
                elif sample.name == "twistbridge_requests_in_flight" and mount:
                    mounts[mount]["in_flight"] += sample.value
                elif sample.name in _SUMMED:
                    sums[_SUMMED[sample.name]] += sample.value
                elif sample.name == "twistbridge_reactor_lag_seconds":
                    pid = sample.labels.get("pid", str(os.getpid()))
                    lags[pid] = round(sample.value * 1000, 2)
        return {
            "count": len(lags),
            "mounts": {
                name: {key: int(value) for key, value in figures.items()}
                for name, figures in mounts.items()
            },
            **{key: int(value) for key, value in sums.items()},
            "reactor_lag_ms": dict(sorted(lags.items())),
        }


class _UvicornCollector(Collector):
    """The uvicorn child's state, read at each scrape: its process (this one's
    child, or the supervisor's) is no worker writing values of its own."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def collect(self) -> Iterable[Metric]:
        state = self.stats.uvicorn() if self.stats.uvicorn is not None else None
        if state is None:
            return
        yield GaugeMetricFamily(
            "twistbridge_uvicorn_up",
            "1 while the uvicorn child serves; 0 while it is dead or starting.",
            value=1 if state["up"] else 0,
        )
        yield CounterMetricFamily(
            "twistbridge_uvicorn_restarts",
            "Times the uvicorn child was started again after it died.",
            value=state["restarts"],
        )

    def describe(self) -> Iterable[Metric]:
        return ()  # nothing to check against the registry's other names


# The values `/stats` sums over workers, and the names it gives the sums.
_SUMMED = {
    "twistbridge_wsgi_pool_busy": "wsgi_busy",
    "twistbridge_wsgi_pool_queue": "wsgi_backlog",
    "twistbridge_asgi_open_calls": "asgi_open_tasks",
    "twistbridge_access_log_dropped_lines_total": "access_log_dropped",
}


class MetricsResource(Page):
    """`GET /metrics`: Prometheus' text exposition format."""

    isLeaf = True

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self.metrics = metrics

    def render_GET(self, request: Request) -> bytes:
        request.setHeader(b"content-type", CONTENT_TYPE_LATEST.encode())
        request.setHeader(b"cache-control", b"no-store")
        return self.metrics.exposition()
