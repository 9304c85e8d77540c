"""SIGHUP as an operator sends it: one process restarts in place (the same pid, the
same listening sockets, its apps imported afresh) while requests flow, none of them
failing or refused, the one in flight answered; under `--workers`, a worker that
gets it stops gracefully and the supervisor starts another at once (the supervisor's
own HUP, a rolling restart, is in test_workers)."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.client import fetch, keep_fetching
from tests.processes import children
from tests.servers import Server, run_server, wait_until
from twisted_host.run.process import READY

pytestmark = pytest.mark.long

WORKER = "twisted_host.run.worker"


def _uptime(server: Server) -> float:
    return float(json.loads(fetch(server.url + "/stats").body)["uptime_seconds"])


def _ready_again(server: Server) -> None:
    """Wait for the ready line of the restarted process: the same addresses."""
    assert server.process.stdout is not None
    line = server.process.stdout.readline().strip()
    ready = READY.search(line)
    assert ready is not None, line
    assert (ready.group(1), ready.group(2)) == (server.url, server.uvicorn_url)


def test_sighup_restarts_one_process_in_place_without_a_failed_request(
    tmp_path: Path,
) -> None:
    with run_server("--no-access-log", tmp_path=tmp_path, uvicorn=True) as server:
        pid = server.process.pid
        uvicorn = children(pid, "uvicorn_child")
        time.sleep(1.5)  # an uptime a restart visibly resets
        hello = keep_fetching(server.base("native") + "/hello", threads=3)
        proxied = keep_fetching(server.base("native") + "/proxy/hello", threads=1)
        with hello as tally, proxied as via_uvicorn, ThreadPoolExecutor(1) as pool:
            busy = pool.submit(fetch, server.base("asgi") + "/busy?seconds=1")
            time.sleep(0.3)
            os.kill(pid, signal.SIGHUP)
            _ready_again(server)
            time.sleep(0.5)
            assert busy.result(timeout=20).status == 200  # answered before the exec
        assert tally.statuses == {200: tally.total} and not tally.failures, tally
        assert via_uvicorn.statuses == {200: via_uvicorn.total}, via_uvicorn
        assert not via_uvicorn.failures, via_uvicorn
        assert tally.total > 20
        assert server.process.poll() is None  # the same process, a new program
        assert _uptime(server) < 1.5
        assert children(pid, "uvicorn_child") not in ([], uvicorn)  # a new uvicorn
        assert fetch(server.base("uvicorn") + "/hello").status == 200  # same port
    log = server.output()
    assert "SIGHUP: restarting once the requests in flight are answered" in log
    assert "Traceback" not in log


def test_a_second_sighup_during_a_restart_is_ignored(tmp_path: Path) -> None:
    with run_server(
        "--no-access-log", "--uvicorn-port", "0", tmp_path=tmp_path
    ) as server:
        for _ in range(3):
            os.kill(server.process.pid, signal.SIGHUP)
            time.sleep(0.1)
        _ready_again(server)
        os.kill(server.process.pid, signal.SIGHUP)  # and once it serves again
        _ready_again(server)
        assert fetch(server.base("native") + "/hello").status == 200
        assert server.process.poll() is None
    assert "Traceback" not in server.output()


def test_sigterm_during_a_restart_stops_the_server(tmp_path: Path) -> None:
    args = ("--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp_path) as server, ThreadPoolExecutor(1) as pool:
        busy = pool.submit(fetch, server.base("native") + "/busy?seconds=1.5")
        time.sleep(0.3)
        server.process.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        assert busy.result(timeout=20).status == 200
        assert server.process.wait(timeout=20) == 0
    log = server.output()
    assert "stopping instead of restarting" in log
    assert "Traceback" not in log


def test_sighup_to_a_worker_stops_it_gracefully_and_it_is_replaced(
    tmp_path: Path,
) -> None:
    args = ("--workers", "2", "--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp_path) as server, ThreadPoolExecutor(4) as pool:
        workers = children(server.process.pid, WORKER)
        # Four new connections: both workers hold some busy request.
        busy = [
            pool.submit(fetch, server.base("native") + "/busy?seconds=1")
            for _ in range(4)
        ]
        time.sleep(0.3)
        victim = workers[0]
        os.kill(victim, signal.SIGHUP)
        assert [reply.result(timeout=20).status for reply in busy] == [200] * 4
        wait_until(
            lambda: len(set(children(server.process.pid, WORKER)) - {victim}) == 2
        )
        assert fetch(server.url + "/readyz").status == 200
        assert server.process.poll() is None
    log = server.output()
    assert f"worker {victim} exited (status 0); a new one in 0 s" in log
    assert "Traceback" not in log
