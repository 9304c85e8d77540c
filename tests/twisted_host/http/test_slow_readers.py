"""Clients that send requests and never read the answers, on every mount of the Site:
what the server holds for them (responses completed, RSS) stays bounded, because
each mount stops producing when a connection's unsent data passes a high-water mark
(the native static producer, the ASGI bridge's send(), the WSGI worker's outbox)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from bench.measure import memory_mb
from tests.client import fetch
from tests.servers import Server, run_server

pytestmark = pytest.mark.long

SITE_MOUNTS = ["native", "wsgi", "asgi", "klein"]
SMALL = 64 * 1024
LARGE = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, parser: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"slow-{parser}")
    root = tmp / "www"
    root.mkdir()
    (root / "small.bin").write_bytes(b"s" * SMALL)
    (root / "large.bin").write_bytes(b"l" * LARGE)
    args = ["--static-root", str(root), "--no-access-log", "--uvicorn-port", "0"]
    args += ["--http", parser]
    with run_server(*args, tmp_path=tmp) as server:
        yield server


def completed(site: Server, mount: str) -> int:
    stats = json.loads(fetch(site.url + "/stats").body)
    return int(stats["mounts"][mount]["requests"])


def rss_mb(site: Server) -> float:
    return memory_mb(site.process.pid, "VmRSS")


def silent_clients(site: Server, count: int, request: bytes) -> list[socket.socket]:
    """`count` connections that send `request` and read nothing."""
    port = urlsplit(site.url).port or 80
    clients = []
    for _ in range(count):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.connect(("127.0.0.1", port))
        sock.sendall(request)
        clients.append(sock)
    return clients


def settle(site: Server, mount: str) -> int:
    """Responses completed on `mount` once the count stops moving."""
    last, now = -1, completed(site, mount)
    while now != last:
        time.sleep(0.5)
        last, now = now, completed(site, mount)
    return now


@pytest.mark.parametrize("mount", SITE_MOUNTS)
def test_large_files_that_are_never_read(site: Server, mount: str) -> None:
    # Three connections ask for a 16 MiB file and read nothing: none is held whole.
    # (First in the module: memory freed by an earlier test would hide growth.)
    get = f"GET /{mount}/static/large.bin HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    rss_before = rss_mb(site)
    clients = silent_clients(site, 3, get)
    try:
        time.sleep(2.0)
        grown = rss_mb(site) - rss_before
    finally:
        for sock in clients:
            sock.close()
    assert grown < 16, f"RSS grew by {grown:.1f} MB for 3 x 16 MiB never read"
    assert fetch(site.url + f"/{mount}/hello").status == 200


@pytest.mark.parametrize("mount", SITE_MOUNTS)
def test_pipelined_gets_that_are_never_read(site: Server, mount: str) -> None:
    # Two connections pipeline 400 GETs of a 64 KiB file each: the server answers
    # what the socket buffers take (a few MiB) and stops reading the rest.
    get = f"GET /{mount}/static/small.bin HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    before, rss_before = completed(site, mount), rss_mb(site)
    clients = silent_clients(site, 2, get * 400)
    try:
        time.sleep(1.0)
        done = settle(site, mount) - before
        grown = rss_mb(site) - rss_before
    finally:
        for sock in clients:
            sock.close()
    assert done < 300, f"{done} of 800 answers completed for clients that never read"
    assert grown < 25, f"RSS grew by {grown:.1f} MB"
    assert fetch(site.url + f"/{mount}/hello").status == 200
