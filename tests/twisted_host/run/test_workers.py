"""`serve --workers N` as an operator sees it: every worker serves, a killed one is
replaced while the port answers, SIGHUP replaces them all without a failed request,
SIGTERM ends everything with exit 0 and leaves no process behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.client import fetch, keep_fetching
from tests.processes import children, cpu_seconds, running
from tests.servers import Server, run_server

WORKER = "twisted_host.run.worker"


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Server]:
    args = ("--workers", "2", "--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp_path) as server:
        yield server


def _workers(server: Server) -> list[int]:
    return children(server.process.pid, WORKER)


def _wait(condition: Callable[[], bool], timeout: float = 15) -> float:
    """Seconds until `condition()` held."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started


def test_both_workers_serve_under_load(two_workers: Server) -> None:
    pids = _workers(two_workers)
    assert len(pids) == 2
    before = {pid: cpu_seconds(pid) for pid in pids}
    with keep_fetching(two_workers.base("native") + "/hello", threads=6) as tally:
        time.sleep(3)
    grown = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
    assert tally.statuses.get(200, 0) > 300 and not tally.failures, tally
    # An idle worker's timers cost about 0.01 s of CPU a second: each one served.
    assert all(seconds > 0.3 for seconds in grown.values()), grown


def test_a_killed_worker_is_replaced_while_the_port_answers(
    two_workers: Server,
) -> None:
    victim, survivor = _workers(two_workers)
    with keep_fetching(two_workers.base("native") + "/hello", threads=2) as tally:
        os.kill(victim, signal.SIGKILL)
        took = _wait(lambda: len(set(_workers(two_workers)) - {victim}) == 2)
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
        _wait(lambda: len(set(_workers(two_workers)) - old) == 2, timeout=30)
        _wait(lambda: not set(_workers(two_workers)) & old)
        time.sleep(0.5)
    assert tally.statuses == {200: tally.total} and not tally.failures, tally
    assert tally.total > 50
    assert two_workers.process.poll() is None


def test_sigterm_stops_every_process_with_exit_0(tmp_path: Path) -> None:
    args = ("--workers", "2", "--no-access-log")  # uvicorn too: one child
    with run_server(*args, tmp_path=tmp_path) as server:
        everything = children(server.process.pid)
        assert len(everything) == 3  # two workers and uvicorn
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
        _wait(lambda: not any(running(pid) for pid in everything), timeout=5)
    assert "Traceback" not in server.output()
