"""The proxy's connections to its upstream: kept open and reused (a bounded pool
per upstream), and trusted over https, by the served certificate (the default
upstream, uvicorn beside the Site) or by `--proxy-ca`.

The upstream here records the connections it is given: each one's peer port, and
which are still open."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.content import HELLO
from core.mounts import TARGETS
from tests.client import fetch
from tests.servers import Certificates, Server, run_server

POOLED = ["wsgi", "asgi"]  # the mounts whose proxy keeps its connections
POOL = 32  # the idle connections a mount keeps (core.proxy.POOL, documented)


class Recording(ThreadingHTTPServer):
    """An HTTP/1.1 upstream that says which connections it was given."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.ports: list[int] = []  # a connection's peer port, once per connection
        self.open: dict[int, socket.socket] = {}  # those still open, by peer port
        self.lock = threading.Lock()

    def close_idle(self) -> None:
        """Close every connection it holds open, as a keep-alive timeout does."""
        with self.lock:
            for connection in self.open.values():
                connection.shutdown(socket.SHUT_RDWR)


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn and nginx
    server: Recording

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.ports.append(self.client_address[1])
            self.server.open[self.client_address[1]] = self.connection

    def finish(self) -> None:
        super().finish()
        with self.server.lock:
            self.server.open.pop(self.client_address[1], None)

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(0.5)
        body = b"upstream"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[Recording]:
    server = Recording()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def proxying(
    upstream: Recording, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    url = f"http://127.0.0.1:{upstream.server_address[1]}"
    tmp = tmp_path_factory.mktemp("proxy-pool")
    with run_server("--no-access-log", "--proxy-upstream", url, tmp_path=tmp) as s:
        yield s


@pytest.mark.parametrize("mount", POOLED)
def test_thirty_requests_take_one_upstream_connection(
    proxying: Server, upstream: Recording, mount: str
) -> None:
    # On main: 30 connections (and over https, 30 handshakes).
    before = len(upstream.ports)
    for _ in range(30):
        reply = fetch(proxying.base(mount) + "/proxy/x")
        assert (reply.status, reply.body) == (200, b"upstream")
    assert len(upstream.ports) - before == 1


@pytest.mark.parametrize("mount", POOLED)
def test_the_pool_is_bounded(proxying: Server, upstream: Recording, mount: str) -> None:
    # 48 requests at once take up to 48 connections (/wsgi: its 10 threads); once
    # answered, at most POOL of them stay open for this mount.
    with upstream.lock:
        before = len(upstream.open)  # the other mount's pool, and this one's
    url = proxying.base(mount) + "/proxy/slow"
    with ThreadPoolExecutor(48) as pool:
        replies = list(pool.map(lambda _: fetch(url), range(48)))
    assert {reply.status for reply in replies} == {200}
    time.sleep(0.5)
    with upstream.lock:
        opened, still_open = len(upstream.ports), len(upstream.open)
    assert opened > POOL if mount == "asgi" else opened >= 10
    assert still_open <= before + POOL


@pytest.mark.parametrize("mount", POOLED)
def test_a_closed_idle_connection_is_not_reused_blindly(
    proxying: Server, upstream: Recording, mount: str
) -> None:
    # The upstream closes its idle connections (a keep-alive timeout, a restart):
    # the next requests go on new ones, not to a 502.
    assert fetch(proxying.base(mount) + "/proxy/x").status == 200
    upstream.close_idle()
    time.sleep(0.2)
    for _ in range(3):
        reply = fetch(proxying.base(mount) + "/proxy/x")
        assert (reply.status, reply.body) == (200, b"upstream")


@pytest.mark.parametrize("target", TARGETS)
def test_the_default_upstream_is_trusted_over_https(
    https_server: Server, certificates: Certificates, target: str
) -> None:
    # With --ssl-certfile the default upstream is uvicorn over https, with the
    # served certificate, which no system trusts: on main 502 on every mount.
    url = https_server.base(target) + "/proxy/hello"
    reply = fetch(url, context=certificates.client_context())
    assert (reply.status, reply.text) == (200, HELLO)


@pytest.fixture(scope="module")
def behind_https(
    https_server: Server,
    certificates: Certificates,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server]]:
    upstream = https_server.url.rstrip("/") + "/asgi"
    args = ("--no-access-log", "--uvicorn-port", "0", "--proxy-upstream", upstream)
    ca = ("--proxy-ca", str(certificates.certfile))  # the served chain, as it is
    with (
        run_server(*args, tmp_path=tmp_path_factory.mktemp("without")) as without,
        run_server(*args, *ca, tmp_path=tmp_path_factory.mktemp("with")) as trusting,
    ):
        yield without, trusting


@pytest.mark.parametrize("mount", ["native", "wsgi", "asgi", "klein"])
def test_proxy_ca_trusts_an_upstream(
    behind_https: tuple[Server, Server], mount: str
) -> None:
    without, trusting = behind_https
    assert fetch(without.base(mount) + "/proxy/hello").status == 502
    reply = fetch(trusting.base(mount) + "/proxy/hello")
    assert (reply.status, reply.text) == (200, HELLO)
