"""`/stats` and the dashboard's figures, over HTTP, on a server of this module's own."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from markupsafe import escape

from core.content import NOT_FOUND
from core.contract import FEATURES
from core.mounts import MOUNT_NAMES
from tests.client import fetch, in_background
from tests.servers import Server
from tests.twisted_host.dashboard.conftest import stats

MOUNT_KEYS = {"requests_per_second", "in_flight", "p50_ms", "p99_ms", "requests"}


def wait_for(
    server: Server, test: Callable[[dict[str, Any]], bool], timeout: float = 5
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        document = stats(server)
        if test(document) or time.monotonic() > deadline:
            return document
        time.sleep(0.05)


def in_flight(document: dict[str, Any]) -> list[int]:
    return [document["mounts"][m]["in_flight"] for m in MOUNT_NAMES]


def test_stats_document(own_server: Server) -> None:
    reply = fetch(own_server.url + "/stats")
    assert reply.status == 200
    assert reply.header("content-type") == "application/json"
    assert reply.header("cache-control") == "no-store"
    document = stats(own_server)
    assert set(document) == {
        "window_seconds",
        "uptime_seconds",
        "mounts",
        "wsgi_pool",
        "asgi_bridge",
        "open",
        "reactor_lag_ms",
        "access_log",
        "uvicorn",
    }
    assert document["access_log"] is None  # --no-access-log
    assert set(document["uvicorn"]) == {"pid", "up", "restarts", "url"}
    assert document["window_seconds"] == 5.0
    assert set(document["mounts"]) == {*MOUNT_NAMES, "site"}
    for figures in document["mounts"].values():
        assert set(figures) == MOUNT_KEYS
    assert set(document["wsgi_pool"]) == {"busy", "idle", "backlog", "threads", "max"}
    assert document["wsgi_pool"]["max"] == 10
    assert set(document["asgi_bridge"]) == {"open_tasks"}
    assert document["open"] == {
        name: {"websockets": 0, "event_streams": 0} for name in (*MOUNT_NAMES, "site")
    }
    assert set(document["reactor_lag_ms"]) == {"last", "max_1s", "max", "interval_ms"}
    assert document["reactor_lag_ms"]["interval_ms"] == 100.0
    # The request asking is in flight on the site while the document is made.
    assert document["mounts"]["site"]["in_flight"] == 1


def test_requests_counted_per_mount(own_server: Server) -> None:
    before = stats(own_server)["mounts"]
    sent = {"native": 3, "wsgi": 2, "asgi": 1}
    for mount, count in sent.items():
        for _ in range(count):
            assert fetch(f"{own_server.url}/{mount}/hello").status == 200
    after = stats(own_server)["mounts"]
    for mount, count in sent.items():
        assert after[mount]["requests"] - before[mount]["requests"] == count
        assert after[mount]["in_flight"] == 0
        assert after[mount]["requests_per_second"] > 0
        assert 0 <= after[mount]["p50_ms"] <= after[mount]["p99_ms"] < 5000


def test_figures_rise_under_load(own_server: Server) -> None:
    url = own_server.url
    urls = [f"{url}/native/busy?seconds=2"] * 5
    urls += [f"{url}/wsgi/busy?seconds=2"] * 3 + [f"{url}/asgi/busy?seconds=2"] * 2
    urls += [f"{url}/klein/busy?seconds=2"] * 4
    with in_background(urls) as statuses:
        document = wait_for(
            own_server,
            lambda d: (
                in_flight(d) == [5, 3, 2, 4] and d["asgi_bridge"]["open_tasks"] == 2
            ),
        )
        assert in_flight(document) == [5, 3, 2, 4]
        assert document["asgi_bridge"]["open_tasks"] == 2
        # Three WSGI requests and ten threads allowed: all three run at once.
        pool = wait_for(own_server, lambda d: d["wsgi_pool"]["busy"] == 3)["wsgi_pool"]
        assert (pool["busy"], pool["backlog"]) == (3, 0), pool
    assert statuses == [200] * 14
    after = stats(own_server)
    assert in_flight(after) == [0, 0, 0, 0]
    assert after["asgi_bridge"]["open_tasks"] == 0
    assert after["wsgi_pool"]["busy"] == 0
    assert after["mounts"]["native"]["p99_ms"] >= 2000


def test_wsgi_backlog_when_the_pool_is_full(own_server: Server) -> None:
    # Ten pool threads: ten requests run, the next two wait in the pool's queue.
    with in_background([f"{own_server.url}/wsgi/busy?seconds=1.5"] * 12) as statuses:
        document = wait_for(
            own_server,
            lambda d: (d["wsgi_pool"]["busy"], d["wsgi_pool"]["backlog"]) == (10, 2),
        )
        assert document["wsgi_pool"] == {
            "busy": 10,
            "idle": 0,
            "backlog": 2,
            "threads": 10,
            "max": 10,
        }
        assert document["mounts"]["wsgi"]["in_flight"] == 12
    assert statuses == [200] * 12


def test_reactor_lag_spikes_while_the_reactor_blocks(own_server: Server) -> None:
    assert (stats(own_server)["reactor_lag_ms"]["max_1s"] or 0) < 500
    assert fetch(own_server.url + "/native/busy/blocking?seconds=1").status == 200
    lag = wait_for(own_server, lambda d: (d["reactor_lag_ms"]["max"] or 0) >= 900)
    assert lag["reactor_lag_ms"]["max"] >= 900


def test_a_client_that_leaves_is_no_longer_in_flight(own_server: Server) -> None:
    parts = urlsplit(own_server.url)
    for mount in MOUNT_NAMES:
        with socket.create_connection((parts.hostname, parts.port)) as sock:
            sock.sendall(
                f"GET /{mount}/busy?seconds=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
            )
            wait_for(own_server, lambda d, m=mount: d["mounts"][m]["in_flight"] == 1)
    document = wait_for(
        own_server,
        lambda d: all(d["mounts"][m]["in_flight"] == 0 for m in MOUNT_NAMES),
    )
    assert [document["mounts"][m]["in_flight"] for m in MOUNT_NAMES] == [0] * len(
        MOUNT_NAMES
    )


def test_stats_has_no_children(own_server: Server) -> None:
    reply = fetch(own_server.url + "/stats/x")
    assert (reply.status, reply.text) == (404, NOT_FOUND)


def test_dashboard_without_javascript(own_server: Server) -> None:
    reply = fetch(own_server.url + "/")
    assert (reply.status, reply.header("content-type")) == (
        200,
        "text/html; charset=utf-8",
    )
    page = reply.text
    # The figures are in the page as served: a script only refreshes them.
    for mount in ("native", "wsgi", "asgi", "site"):
        assert f'<tr id="mount-{mount}">' in page
        assert f'data-stat="mounts.{mount}.in_flight"' in page
    for path in ("wsgi_pool.busy", "wsgi_pool.backlog", "asgi_bridge.open_tasks"):
        assert f'data-stat="{path}"' in page
    assert 'data-stat="reactor_lag_ms.max"' in page
    assert own_server.uvicorn_url is not None
    uvicorn_port = urlsplit(own_server.uvicorn_url).port
    for feature in FEATURES:
        assert f'<a class="compare" href="/compare/{feature.name}">' in page
        assert f'<td class="teaches">{escape(feature.teaches)}</td>' in page
        for mount in MOUNT_NAMES:
            assert f'href="/{mount}{feature.example}"' in page
        assert f'href="http://127.0.0.1:{uvicorn_port}/asgi{feature.example}"' in page


def test_open_websockets_and_event_streams(own_server: Server) -> None:
    from websockets.sync.client import connect

    from tests.client import ws_url

    def opened(document: dict[str, Any]) -> list[int]:
        return [
            document["open"]["native"]["websockets"],
            document["open"]["asgi"]["websockets"],
            document["open"]["wsgi"]["event_streams"],
            document["open"]["native"]["event_streams"],
        ]

    with (
        connect(ws_url(own_server.base("native")) + "/ws"),
        connect(ws_url(own_server.base("asgi")) + "/ws"),
        in_background(
            [own_server.base(m) + "/events?count=2" for m in ("wsgi", "native")]
        ),
    ):
        document = wait_for(own_server, lambda d: opened(d) == [1, 1, 1, 1])
        assert opened(document) == [1, 1, 1, 1]
    document = wait_for(own_server, lambda d: opened(d) == [0, 0, 0, 0])
    assert opened(document) == [0, 0, 0, 0]


def test_live_pushes_the_document(own_server: Server) -> None:
    import json

    from websockets.sync.client import connect

    from tests.client import ws_url

    with connect(ws_url(own_server.url) + "/live") as socket:
        started = time.monotonic()
        first = json.loads(socket.recv(timeout=5))
        second = json.loads(socket.recv(timeout=5))
        took = time.monotonic() - started
    assert set(first) == set(second) == set(stats(own_server))
    assert first["open"]["site"]["websockets"] == 1  # this very socket
    assert 0.5 < took < 2.5  # one now, the next a second later


@pytest.mark.parametrize("mount", ["native", "wsgi", "asgi"])
def test_an_endless_stream_ends_with_its_client(own_server: Server, mount: str) -> None:
    parts = urlsplit(own_server.url)
    request = (
        f"GET /{mount}/events HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n"  # no count
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as client:
        client.sendall(request)
        assert b"data: The local time is " in client.recv(4096)
        document = stats(own_server)
        assert document["open"][mount]["event_streams"] == 1
        if mount == "wsgi":
            assert document["wsgi_pool"]["busy"] >= 1  # the generator holds a thread
    # Gone: the stream stops (on WSGI at its next write, within a second), and the
    # thread it held is free again.
    document = wait_for(
        own_server,
        lambda d: (
            d["open"][mount]["event_streams"] == 0 and d["wsgi_pool"]["busy"] == 0
        ),
    )
    assert document["open"][mount]["event_streams"] == 0
    assert document["wsgi_pool"]["busy"] == 0
    assert document["mounts"][mount]["in_flight"] == 0
