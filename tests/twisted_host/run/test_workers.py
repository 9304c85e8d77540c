"""`serve --workers N` as an operator sees it: every worker serves, a killed one is
replaced while the port answers, SIGHUP replaces them all without a failed request,
SIGTERM ends everything with exit 0 and leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.client import fetch, keep_fetching
from tests.processes import children, cpu_seconds, running
from tests.servers import TWISTBRIDGE, Server, run_server, wait_until
from tests.twisted_host.http.test_shutdown import _connect_refused

pytestmark = pytest.mark.long

WORKER = "twisted_host.run.worker"


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Server]:
    args = ("--workers", "2", "--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp_path) as server:
        yield server


def _workers(server: Server) -> list[int]:
    return children(server.process.pid, WORKER)


def test_both_workers_serve_under_load(two_workers: Server) -> None:
    pids = _workers(two_workers)
    assert len(pids) == 2
    before = {pid: cpu_seconds(pid) for pid in pids}
    load = keep_fetching(two_workers.base("native") + "/hello", threads=6, pause=0)
    with load as tally:
        time.sleep(3)
    grown = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
    assert tally.statuses.get(200, 0) > 300 and not tally.failures, tally
    # An idle worker's timers cost about 0.01 s of CPU a second: each one served,
    # and took a fair part (about 1 s each here when the machine is quiet).
    assert all(seconds > 0.15 for seconds in grown.values()), grown
    assert min(grown.values()) > sum(grown.values()) / 4, grown


def test_a_killed_worker_is_replaced_while_the_port_answers(
    two_workers: Server,
) -> None:
    victim, survivor = _workers(two_workers)
    with keep_fetching(two_workers.base("native") + "/hello", threads=2) as tally:
        os.kill(victim, signal.SIGKILL)
        took = wait_until(lambda: len(set(_workers(two_workers)) - {victim}) == 2)
        time.sleep(1)
    assert took < 5
    assert survivor in _workers(two_workers)
    # A request the killed worker held dies with it; the port goes on answering.
    assert tally.statuses.get(200, 0) > 50 and len(tally.failures) <= 2, tally
    assert fetch(f"{two_workers.url}/readyz").status == 200


def test_sighup_replaces_every_worker_without_a_failed_request(
    two_workers: Server,
) -> None:
    old = set(_workers(two_workers))
    with keep_fetching(two_workers.base("native") + "/hello", threads=3) as tally:
        time.sleep(0.3)
        two_workers.process.send_signal(signal.SIGHUP)
        wait_until(lambda: len(set(_workers(two_workers)) - old) == 2, timeout=30)
        wait_until(lambda: not set(_workers(two_workers)) & old)
        time.sleep(0.5)
    assert tally.statuses == {200: tally.total} and not tally.failures, tally
    assert tally.total > 50
    assert two_workers.process.poll() is None


def test_sigterm_stops_every_process_with_exit_0(tmp_path: Path) -> None:
    args = ("--workers", "2", "--no-access-log")  # uvicorn too: one child
    with run_server(*args, tmp_path=tmp_path, uvicorn=True) as server:
        everything = children(server.process.pid)
        assert len(everything) == 3  # two workers and uvicorn
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
        wait_until(lambda: not any(running(pid) for pid in everything), timeout=5)
    assert "Traceback" not in server.output()


def test_sigterm_during_a_rolling_restart_stops_every_worker(tmp_path: Path) -> None:
    # SIGTERM while SIGHUP's new worker is starting: the worker it replaces drains
    # and ends as the others do, rather than at the stragglers' SIGKILL, after
    # --shutdown-grace and a margin (35 s here). The same path as a worker recycled
    # past --limit-max-requests.
    args = ("--workers", "2", "--no-access-log", "--shutdown-grace", "30")
    with run_server(*args, tmp_path=tmp_path) as server:
        workers = _workers(server)
        server.process.send_signal(signal.SIGHUP)
        time.sleep(0.2)  # a new worker is starting: it takes most of a second
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=20) == 0
        wait_until(lambda: not any(running(pid) for pid in workers), timeout=5)
    assert "Traceback" not in server.output()


def test_sigterm_drains_every_worker_then_refuses(tmp_path: Path) -> None:
    args = ("--workers", "2", "--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp_path) as server, ThreadPoolExecutor(4) as pool:
        url = server.base("native") + "/busy?seconds=1.5"
        pending = [pool.submit(fetch, url) for _ in range(4)]
        time.sleep(0.5)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert _connect_refused(server.url)  # no worker takes new connections
        assert [f.result(timeout=20).status for f in pending] == [200] * 4
        assert server.process.wait(timeout=20) == 0
    assert "Traceback" not in server.output()


def test_second_signal_kills_every_worker(tmp_path: Path) -> None:
    args = ("--workers", "2", "--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp_path) as server, ThreadPoolExecutor(1) as pool:
        workers = _workers(server)
        pending = pool.submit(fetch, server.base("asgi") + "/busy?seconds=30")
        time.sleep(0.3)
        server.process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        stopped_at = time.monotonic()
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=10) == 1
        assert time.monotonic() - stopped_at < 2
        wait_until(lambda: not any(running(pid) for pid in workers), timeout=5)
        with pytest.raises(OSError):
            pending.result(timeout=20)
    assert "second signal" in server.output()


def test_a_worker_dying_at_start_is_retried_later_and_later(
    two_workers: Server,
) -> None:
    victim, survivor = _workers(two_workers)
    os.kill(victim, signal.SIGKILL)  # it had served: replaced at once
    gaps = []

    def newcomer() -> int | None:
        others = set(_workers(two_workers)) - {survivor, victim}
        return others.pop() if others else None

    for _ in range(2):
        # Kill each replacement before it listens (a worker takes ~0.5 s to start).
        wait_until(lambda: newcomer() is not None, timeout=20)
        doomed = newcomer()
        assert doomed is not None
        killed_at = time.monotonic()
        os.kill(doomed, signal.SIGKILL)
        wait_until(lambda gone=doomed: newcomer() not in (gone, None), timeout=20)
        gaps.append(time.monotonic() - killed_at)
    log = two_workers.output()
    assert "a new one in 0 s" in log
    assert "a new one in 0.5 s" in log and "a new one in 1 s" in log
    assert gaps[0] >= 0.4 and gaps[1] >= 0.9, gaps
    # Left alone, the last one listens; the survivor answered all along.
    wait_until(lambda: fetch(two_workers.url + "/readyz").status == 200)
    assert survivor in _workers(two_workers)


def test_readyz_is_503_in_every_worker_during_the_drain(tmp_path: Path) -> None:
    args = ("--workers", "2", "--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, "--drain-delay", "1.5", tmp_path=tmp_path) as server:
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # New connections, so both workers answer some of them.
        answers = [fetch(server.url + "/readyz") for _ in range(10)]
        assert {(a.status, a.body) for a in answers} == {(503, b"draining\n")}
        assert fetch(server.base("native") + "/hello").status == 200
        assert server.process.wait(timeout=20) == 0
        assert _connect_refused(server.url)


def test_workers_serve_apps_of_ones_own(tmp_path: Path) -> None:
    # Each worker imports the apps itself: the supervisor only checks the flags.
    args = ("--workers", "2", "--no-access-log", "--no-demo")
    apps = ("--asgi", "/api=tests.apps.fastapi_app:app")
    apps += ("--wsgi", "/legacy=tests.apps.flask_app:app")
    with run_server(*args, *apps, tmp_path=tmp_path) as server:
        assert len(_workers(server)) == 2
        assert children(server.process.pid, "twisted_host.run.uvicorn_child") == []
        for _ in range(20):  # new connections: both workers take some
            assert fetch(f"{server.url}/api/json").status == 200
            assert fetch(f"{server.url}/legacy/json").status == 200
        assert fetch(f"{server.url}/native/hello").status == 404  # --no-demo
    assert "Traceback" not in server.output()


def test_workers_that_cannot_import_an_app_stop_the_server(tmp_path: Path) -> None:
    argv = [*TWISTBRIDGE, "serve", "--port", "0", "--workers", "2"]
    argv += ["--uvicorn-port", "0", "--asgi", "/api=no_such_module:app"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert 'Could not import module "no_such_module"' in done.stderr
    assert "failed to start" in done.stderr
    assert "Traceback" not in done.stderr
