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
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.content import HELLO
from core.mounts import MOUNT_NAMES, TARGETS
from tests.client import fetch
from tests.servers import Certificates, Server, run_server

POOLED = list(MOUNT_NAMES)  # every mount's proxy keeps its connections
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
        if self.path.startswith("/hop"):  # a header made hop-by-hop by `Connection`
            self.send_header("connection", "keep-alive, X-Hop")
            self.send_header("x-hop", "dropped")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

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
    with _in_front_of(upstream, tmp_path_factory.mktemp("proxy-pool")) as s:
        yield s


def _in_front_of(
    upstream: Recording, tmp: Path, *flags: str
) -> AbstractContextManager[Server]:
    url = f"http://127.0.0.1:{upstream.server_address[1]}"
    return run_server("--no-access-log", "--proxy-upstream", url, *flags, tmp_path=tmp)


@pytest.mark.parametrize("mount", POOLED)
def test_thirty_requests_take_one_upstream_connection(
    proxying: Server, upstream: Recording, mount: str
) -> None:
    # On main: 30 connections (and over https, 30 handshakes); /native and /klein
    # still did after /wsgi and /asgi pooled.
    assert _connections_taken(proxying, upstream, mount, 30) == 1


def _connections_taken(server: Server, upstream: Recording, mount: str, n: int) -> int:
    """How many connections the upstream was given for `n` requests in turn."""
    before = len(upstream.ports)
    for _ in range(n):
        reply = fetch(server.base(mount) + "/proxy/x")
        assert (reply.status, reply.body) == (200, b"upstream")
    return len(upstream.ports) - before


@pytest.fixture(scope="module")
def unpooled(
    upstream: Recording, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with _in_front_of(
        upstream, tmp_path_factory.mktemp("no-pool"), "--proxy-pool", "0"
    ) as s:
        yield s


@pytest.mark.parametrize("mount", POOLED)
def test_proxy_pool_0_takes_a_connection_per_request(
    unpooled: Server, upstream: Recording, mount: str
) -> None:
    assert _connections_taken(unpooled, upstream, mount, 3) == 3


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


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("mount", POOLED)
def test_a_pooled_answer_keeps_its_length_and_loses_its_hops(
    proxying: Server, mount: str, method: str
) -> None:
    # A client of its own keeps an answer's framing headers aside (native: Twisted's
    # Agent): the length still goes on, and what `Connection` names still does not.
    for _ in range(2):  # on a new connection, then on the pooled one
        reply = fetch(proxying.base(mount) + "/proxy/hop", method)
        assert reply.status == 200
        assert reply.headers["content-length"] == "8"
        assert "x-hop" not in reply.headers
        assert reply.body == (b"" if method == "HEAD" else b"upstream")


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
