"""A connection is freed as it closes, by reference counting: nothing of it waits for
a full collection of CPython's cyclic garbage collector. A reference cycle (a parser
holding its channel's callbacks, a WebSocket's protocol and its transport holding
each other) kept every closed connection's objects, some 60 after a WebSocket, until
such a collection: memory a server had let go of stayed taken, and a collection,
when one came, walked them all.

Checked on servers whose collector is off (a `sitecustomize` on `PYTHONPATH` calls
`gc.disable()`; nothing else changes): rounds of connections opened and closed, and
the server's RSS after the first round against after the last. Freed, the later
rounds reuse the first one's memory; kept, each round adds its connections.

Left out: `/wsgi` and `/klein` (the demo's Flask and Klein apps leave cycles of
their own, in werkzeug's router and Klein's `render`); your own WSGI app on the
bridge is in."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator

import pytest

from bench import ws_raw
from bench.measure import memory_mb
from tests.servers import Server, run_server

pytestmark = pytest.mark.long

ROUNDS = 3
PER_ROUND = 300
GROWTH_MB = 1.5  # kept (before the fix): 2.0 to 7.9 MB over 600; freed: 0.1-0.2 MB


@pytest.fixture(scope="module")
def collector_off(
    tmp_path_factory: pytest.TempPathFactory, parser: str
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"freed-{parser}")
    (tmp / "site").mkdir()
    (tmp / "site" / "sitecustomize.py").write_text("import gc\n\ngc.disable()\n")
    path = os.pathsep.join(
        p for p in (str(tmp / "site"), os.environ.get("PYTHONPATH")) if p
    )
    args = ["--no-access-log", "--http", parser, "--ws-ping-interval", "0"]
    args += ["--wsgi", "/own-wsgi=tests.apps.echo:wsgi"]
    args += ["--asgi", "/own-asgi=tests.apps.echo:asgi"]
    with run_server(*args, tmp_path=tmp, env={"PYTHONPATH": path}) as server:
        yield server


def _http(server: Server, path: str) -> Callable[[int], None]:
    host, port = server.url.removeprefix("http://").rstrip("/").split(":")
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()

    def connections(count: int) -> None:
        for _ in range(count):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(request)
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]

    return connections


def _websocket(server: Server, mount: str) -> Callable[[int], None]:
    url = "ws" + server.base(mount)[4:] + "/ws"

    def connections(count: int) -> None:
        sockets = ws_raw.open_many(url, count, wave=100)
        try:
            ws_raw.echo_round(sockets, timeout=10)
        finally:
            ws_raw.close_many(sockets)

    return connections


KINDS: dict[str, Callable[[Server], Callable[[int], None]]] = {
    "http-native": lambda s: _http(s, "/native/hello"),
    "http-asgi": lambda s: _http(s, "/asgi/hello"),
    "http-own-wsgi": lambda s: _http(s, "/own-wsgi/"),
    "http-own-asgi": lambda s: _http(s, "/own-asgi/"),
    "websocket-native": lambda s: _websocket(s, "native"),
    "websocket-asgi": lambda s: _websocket(s, "asgi"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_closed_connections_are_freed_as_they_close(
    collector_off: Server, kind: str
) -> None:
    connections = KINDS[kind](collector_off)
    connections(PER_ROUND)  # what a first round leaves (caches, pools) is not growth
    before = memory_mb(collector_off.process.pid, "VmRSS")
    for _ in range(ROUNDS - 1):
        connections(PER_ROUND)
    grown = memory_mb(collector_off.process.pid, "VmRSS") - before
    kept = (ROUNDS - 1) * PER_ROUND
    assert grown < GROWTH_MB, f"RSS grew by {grown:.1f} MB over {kept} closed ones"
    assert "Traceback" not in collector_off.output()
