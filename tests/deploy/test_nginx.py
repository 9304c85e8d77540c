"""twistbridge behind nginx, as deployed: `deploy/nginx.conf` in front of two servers
on 127.0.0.1. Round robin, the client's address passed on, a killed server skipped
without a failed GET, and a server that drains on SIGTERM finishing its request while
nginx sends it no new one."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.client import fetch, keep_fetching
from tests.deploy.conftest import nginx, nginx_binary
from tests.servers import Server, run_server
from tests.twisted_host.dashboard.conftest import stats
from tests.twisted_host.http.test_shutdown import _connect_refused

pytestmark = pytest.mark.long

QUIET = ("--no-access-log", "--uvicorn-port", "0")


@pytest.fixture(autouse=True)
def _needs_nginx() -> None:
    nginx_binary()  # skips, saying why, when nginx cannot be had


def _address(server: Server) -> str:
    return server.url.removeprefix("http://")


def _native_requests(server: Server) -> int:
    return int(stats(server)["mounts"]["native"]["requests"])


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Server]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(run_server(*QUIET, tmp_path=tmp_path)) for _ in (1, 2)
        ]


def test_round_robin(pair: list[Server], tmp_path: Path) -> None:
    with nginx(tmp_path, [_address(s) for s in pair]) as url:
        for _ in range(20):
            assert fetch(url + "/native/hello").body == b"Hello, world!"
    assert [_native_requests(s) for s in pair] == [10, 10]


def test_the_client_address_goes_through(pair: list[Server], tmp_path: Path) -> None:
    with nginx(tmp_path, [_address(s) for s in pair]) as url:
        # A client behind a proxy of its own: nginx appends the address it saw.
        sent = {"X-Forwarded-For": "203.0.113.9"}
        echo = fetch(url + "/native/echo", headers=sent).text
    assert "x-forwarded-for: 203.0.113.9, 127.0.0.1\n" in echo
    assert "x-forwarded-proto: http\n" in echo
    assert f"host: {url.removeprefix('http://')}\n" in echo
    assert "connection:" not in echo  # keep-alive towards the servers


def test_a_killed_server_is_skipped(pair: list[Server], tmp_path: Path) -> None:
    killed, survivor = pair
    with nginx(tmp_path, [_address(s) for s in pair]) as url:
        with keep_fetching(url + "/native/hello", threads=3) as tally:
            time.sleep(0.5)
            killed.process.kill()
            time.sleep(2)
        served_after = _native_requests(survivor)
    assert tally.statuses == {200: tally.total} and not tally.failures, tally
    assert tally.total > 50 and served_after > tally.total / 2


def test_a_draining_server_finishes_and_gets_nothing_new(tmp_path: Path) -> None:
    log = tmp_path / "draining.log"
    with ExitStack() as stack:
        draining = stack.enter_context(
            run_server(
                "--uvicorn-port", "0", "--access-log-file", str(log), tmp_path=tmp_path
            )
        )
        other = stack.enter_context(run_server(*QUIET, tmp_path=tmp_path))
        url = stack.enter_context(
            nginx(tmp_path, [_address(draining), _address(other)])
        )
        pool = stack.enter_context(ThreadPoolExecutor(2))
        busy = [pool.submit(fetch, url + "/native/busy?seconds=2") for _ in (1, 2)]
        deadline = time.monotonic() + 5
        while stats(draining)["mounts"]["native"]["in_flight"] < 1:
            assert time.monotonic() < deadline, "no busy request reached the server"
            time.sleep(0.05)
        draining.process.send_signal(signal.SIGTERM)
        # From the moment the drain has begun (its port closed): a request sent
        # before the signal was handled may still have been answered there.
        while not _connect_refused(draining.url):
            assert time.monotonic() < deadline + 5, "the port did not close"
            time.sleep(0.01)
        with keep_fetching(url + "/native/hello", threads=2) as tally:
            time.sleep(1.2)
        assert [f.result(timeout=20).status for f in busy] == [200, 200]
        assert draining.process.wait(timeout=20) == 0
    assert tally.statuses == {200: tally.total} and not tally.failures, tally
    lines = log.read_text().splitlines()
    assert any('"GET /native/busy?seconds=2 HTTP/1.1" 200' in line for line in lines)
    assert not any("/native/hello" in line for line in lines)


def test_websocket_upgrade_headers_go_through(
    pair: list[Server], tmp_path: Path
) -> None:
    # nginx drops hop-by-hop headers unless told; the map passes an upgrade on (a
    # WebSocket endpoint would answer 101; echo shows what arrived).
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket"}
    with nginx(tmp_path, [_address(s) for s in pair]) as url:
        echo = fetch(url + "/native/echo", headers=upgrade).text
    assert "connection: upgrade\n" in echo and "upgrade: websocket\n" in echo
