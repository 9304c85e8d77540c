"""`/metrics` read as Prometheus reads it (prometheus_client's own parser): requests
by mount, method and status, latency histograms, gauges; with `--workers 2` one
scrape sums both workers, and `/stats` shows every worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import Histogram
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.client import fetch, keep_fetching
from tests.servers import Server, run_server
from tests.twisted_host.dashboard.conftest import screenshot, stats

REQUESTS = "twistbridge_requests_total"


def scrape(server: Server) -> list[Sample]:
    reply = fetch(server.url + "/metrics")
    assert reply.status == 200
    assert reply.header("content-type") == "text/plain; version=1.0.0; charset=utf-8"
    return [s for f in text_string_to_metric_families(reply.text) for s in f.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("workers")
    args = ("--workers", "2", "--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp) as server:
        yield server


def test_requests_latency_and_gauges(own_server: Server) -> None:
    before = scrape(own_server)
    for _ in range(7):
        assert fetch(own_server.base("native") + "/hello").status == 200
    assert fetch(own_server.base("wsgi") + "/nowhere").status == 404
    # A method outside the labels' set that llhttp knows (it refuses BREW with 400
    # before any mount, as uvicorn does).
    assert fetch(own_server.base("asgi") + "/hello", "PROPFIND").status in {405, 501}
    after = scrape(own_server)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew(REQUESTS, mount="native", method="GET", status="200") == 7
    assert grew(REQUESTS, mount="wsgi", method="GET", status="404") == 1
    # Methods outside a closed set share one label: no client grows the series.
    assert grew(REQUESTS, mount="asgi", method="other") == 1
    latency = "twistbridge_request_duration_seconds"
    assert grew(latency + "_count", mount="native") == 7
    assert grew(latency + "_bucket", mount="native", le="+Inf") == 7
    assert 0 < grew(latency + "_sum", mount="native") < 7
    # The scrape itself is in flight on the site while it is answered.
    assert value(after, "twistbridge_requests_in_flight", mount="site") == 1
    names = {s.name for s in after}
    for gauge in ("wsgi_pool_busy", "wsgi_pool_queue", "asgi_open_calls"):
        assert f"twistbridge_{gauge}" in names
    assert value(after, "twistbridge_reactor_lag_seconds") < 1


def test_one_scrape_sums_every_worker(two_workers: Server) -> None:
    before = value(scrape(two_workers), REQUESTS, mount="native")
    for _ in range(40):  # a new connection each: both workers take some
        assert fetch(two_workers.base("native") + "/hello").status == 200
    time.sleep(1.5)  # every worker hands its counts over once a second
    samples = scrape(two_workers)
    assert value(samples, REQUESTS, mount="native") - before == 40
    # A worker's own figures are its part of the sum; both had one.
    seen = {stats(two_workers)["mounts"]["native"]["requests"] for _ in range(20)}
    assert min(seen) < 40
    lags = [s for s in samples if s.name == "twistbridge_reactor_lag_seconds"]
    assert len({s.labels["pid"] for s in lags}) == 2


def test_stats_shows_every_worker(two_workers: Server) -> None:
    document = stats(two_workers)
    workers = document["workers"]
    assert workers["count"] == 2 and len(workers["reactor_lag_ms"]) == 2
    assert {"wsgi_busy", "wsgi_backlog", "asgi_open_tasks"} <= set(workers)
    assert set(workers["mounts"]) == set(document["mounts"])
    assert (
        workers["mounts"]["native"]["requests"]
        >= document["mounts"]["native"]["requests"]
    )
    page = fetch(two_workers.url + "/").text
    assert 'id="worker-lags"' in page


def test_prometheus_client_private_names() -> None:
    # Metrics.update adds a second's observations to a histogram at once through
    # these (pyproject pins prometheus_client below 1 for them).
    child = Histogram("canary_seconds", "x", ["m"], registry=None).labels("a")
    child._buckets[0].inc(2)
    child._sum.inc(0.5)
    assert child._buckets[0].get() == 2 and child._sum.get() == 0.5


def test_the_dashboard_shows_every_worker_live(
    browser: Any, two_workers: Server
) -> None:
    from tests.twisted_host.dashboard.test_browser import js, until

    browser.get(two_workers.url + "/")
    rate = (
        'return document.querySelector(".worker-rate[data-mount=native]").textContent'
    )
    with keep_fetching(two_workers.base("native") + "/hello", threads=2):
        shown = until(
            lambda: (text := js(browser, rate)) not in ("\u2013", "0.0") and text,
            what="a req/s of all workers on /native",
        )
    assert float(shown) > 0
    lags = js(browser, 'return document.getElementById("worker-lags").textContent')
    assert len(lags.split(",")) == 2
    screenshot(browser, "dashboard-workers")
