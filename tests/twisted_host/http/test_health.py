"""`/healthz` and `/readyz` as a balancer sees them: 200 while serving, and `/readyz`
503 from the first SIGTERM while the port still serves (`--drain-delay`), so that the
balancer stops sending before the port closes."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.client import fetch
from tests.servers import run_server
from tests.twisted_host.http.test_shutdown import _connect_refused


def test_probes_answer_while_serving(tmp_path: Path) -> None:
    with run_server("--no-access-log", "--uvicorn-port", "0", tmp_path=tmp_path) as s:
        for path, body in (("/healthz", b"ok\n"), ("/readyz", b"ready\n")):
            reply = fetch(s.url + path)
            assert (reply.status, reply.body) == (200, body)
            assert reply.header("cache-control") == "no-store"
            assert fetch(s.url + path, "HEAD").status == 200
        assert fetch(s.url + "/readyz", "POST").status == 405


def test_readyz_is_503_during_the_drain(tmp_path: Path) -> None:
    args = ("--no-access-log", "--uvicorn-port", "0", "--drain-delay", "2")
    with run_server(*args, tmp_path=tmp_path) as server, ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(fetch, server.base("native") + "/busy?seconds=2.5")
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        ready = fetch(server.url + "/readyz")
        assert (ready.status, ready.body) == (503, b"draining\n")
        # Still serving while the balancer catches up, and alive.
        assert fetch(server.base("native") + "/hello").status == 200
        assert fetch(server.url + "/healthz").status == 200
        time.sleep(2.0)
        assert _connect_refused(server.url)  # the delay is over: the port is closed
        assert in_flight.result(timeout=20).status == 200
        assert server.process.wait(timeout=20) == 0
    assert "Traceback" not in server.output()
