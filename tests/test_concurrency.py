"""The concurrency models, seen from outside: Deferreds overlap, a WSGI pool of two
threads serves in rounds, and a blocking call stalls whatever thread runs it (the
chapter's lesson). Margins are generous: this is behaviour, not a benchmark."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xmlrpc.client import ServerProxy

import pytest

from tests.client import Reply, fetch
from tests.servers import Server, run_server

pytestmark = pytest.mark.long


@pytest.fixture(scope="module")
def two_threads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp("two-threads")
    with run_server(
        "--wsgi-threads", "2", "--no-access-log", tmp_path=tmp, uvicorn=True
    ) as server:
        yield server


def timed(url: str) -> tuple[float, Reply]:
    started = time.monotonic()
    reply = fetch(url, timeout=60)
    return time.monotonic() - started, reply


def concurrently(urls: list[str]) -> tuple[float, list[Reply]]:
    started = time.monotonic()
    with ThreadPoolExecutor(len(urls)) as pool:
        replies = [reply for _, reply in pool.map(timed, urls)]
    return time.monotonic() - started, replies


@pytest.mark.parametrize("mount", ["native", "asgi", "klein", "uvicorn"])
def test_busy_requests_overlap(two_threads: Server, mount: str) -> None:
    took, replies = concurrently([two_threads.base(mount) + "/busy?seconds=1"] * 20)
    assert all(reply.status == 200 for reply in replies)
    assert 1 <= took < 4  # one after another would take 20 s


def test_wsgi_pool_serves_in_rounds(two_threads: Server) -> None:
    took, replies = concurrently([two_threads.base("wsgi") + "/busy?seconds=1"] * 6)
    assert all(reply.status == 200 for reply in replies)
    assert 2.8 <= took < 5.5  # 6 requests, 2 threads: three rounds of one second


def _latency_during(blocker: str, probe: str) -> float:
    with ThreadPoolExecutor(1) as pool:
        blocking = pool.submit(timed, blocker)
        time.sleep(0.4)  # the blocking request is being served
        latency, reply = timed(probe)
        assert reply.status == 200
        assert blocking.result()[1].status == 200
    return latency


@pytest.mark.parametrize("mount", ["native", "asgi", "klein"])
def test_blocking_call_stalls_the_reactor(two_threads: Server, mount: str) -> None:
    base = two_threads.base(mount)
    latency = _latency_during(base + "/busy/blocking?seconds=2", base + "/clock")
    assert latency > 1.0  # clock waited for the sleep on the reactor thread


def test_blocking_on_asgi_stalls_native_too(two_threads: Server) -> None:
    latency = _latency_during(
        two_threads.base("asgi") + "/busy/blocking?seconds=2",
        two_threads.base("native") + "/clock",
    )
    assert latency > 1.0  # one event loop, one reactor: the whole Site waited


def test_blocking_on_wsgi_stalls_nothing(two_threads: Server) -> None:
    base = two_threads.base("wsgi")
    latency = _latency_during(base + "/busy/blocking?seconds=2", base + "/clock")
    assert latency < 1.0  # the other pool thread answered


@pytest.mark.parametrize("mount", ["native", "asgi", "klein"])
def test_busy_thread_does_not_stall(two_threads: Server, mount: str) -> None:
    base = two_threads.base(mount)
    latency = _latency_during(base + "/busy/thread?seconds=2", base + "/clock")
    assert latency < 1.0


@pytest.mark.parametrize("mount", ["native", "wsgi", "asgi", "uvicorn"])
def test_xmlrpc_busy_holds_a_thread_only_on_wsgi(
    two_threads: Server, mount: str
) -> None:
    url = two_threads.base(mount) + "/xmlrpc"

    def busy(_: int) -> str:
        with ServerProxy(url) as server:
            return str(server.busy(1))

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(busy, range(4)))
    took = time.monotonic() - started
    assert len(set(answers)) == 1
    if mount == "wsgi":
        assert 1.9 <= took < 4.5  # 4 calls, 2 threads: two rounds of one second
    else:
        assert 0.95 <= took < 1.8  # the four waits overlap
