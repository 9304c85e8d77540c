"""The WSGI mount and an app's iterator: close() runs on every path, and a client that
leaves stops the iteration (its writes are dropped quietly)."""

from __future__ import annotations

import http.client
import json
import socket
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.client import fetch
from tests.servers import Server, spawn


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    argv = [sys.executable, "-m", "tests.twisted_host.bridges.wsgi_host"]
    with spawn(argv, tmp_path=tmp_path_factory.mktemp("wsgi")) as server:
        yield server


def events(server: Server) -> list[str]:
    return json.loads(fetch(server.url + "/w/events").body)  # type: ignore[no-any-return]


def test_close_runs_after_a_whole_answer(host: Server) -> None:
    reply = fetch(host.url + "/w/normal?a")
    assert (reply.status, len(reply.body)) == (200, 140000)
    assert "a closed" in events(host)


def test_close_runs_when_the_iterator_fails(host: Server) -> None:
    # The answer is cut short: the response had started when the app failed.
    with pytest.raises(http.client.IncompleteRead):
        fetch(host.url + "/w/fails?b")
    assert {"b chunk 0", "b closed"} <= set(events(host))
    assert "b chunk 1" not in events(host)


def test_a_client_gone_stops_the_iteration(host: Server) -> None:
    port = urlsplit(host.url).port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /w/slow?c HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.recv(65536)
        time.sleep(0.3)
    deadline = time.monotonic() + 5
    while "c closed" not in events(host) and time.monotonic() < deadline:
        time.sleep(0.1)
    seen = events(host)
    assert "c closed" in seen
    assert sum(event.startswith("c chunk") for event in seen) < 20  # not all 50
    assert "Traceback" not in host.output()
