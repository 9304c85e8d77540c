"""The uvicorn child as an operator meets it: killed, it is said in the log with its
exit status and started again on the same port (at once if it had served, later and
later while new ones die before serving, as a worker); `/stats` and `/metrics` show
its pid, whether it is up, and its restarts; the Site serves on meanwhile, and its
proxy (whose default upstream uvicorn is) answers again. One process, or the
supervisor of `--workers 2`, which keeps the child there."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.client import fetch, keep_fetching
from tests.processes import children
from tests.servers import PROCESS_MODELS, Server, run_server, wait_until

pytestmark = pytest.mark.long

CHILD = "twisted_host.run.uvicorn_child"


def _uvicorn(server: Server) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(fetch(server.url + "/stats").body)["uvicorn"]
    return state


def _metric(server: Server, name: str) -> float:
    for line in fetch(server.url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


@pytest.mark.parametrize("model", PROCESS_MODELS)
def test_a_killed_uvicorn_is_said_restarted_and_shown(
    tmp_path: Path, model: str
) -> None:
    with run_server(
        "--no-access-log", *PROCESS_MODELS[model], tmp_path=tmp_path, uvicorn=True
    ) as server:
        first = _uvicorn(server)
        assert first["up"] and first["restarts"] == 0
        assert children(server.process.pid, CHILD) == [first["pid"]]
        assert _metric(server, "twistbridge_uvicorn_up") == 1
        with keep_fetching(server.base("native") + "/hello", threads=2) as tally:
            os.kill(first["pid"], signal.SIGKILL)
            wait_until(lambda: _uvicorn(server)["pid"] != first["pid"])
            wait_until(lambda: _uvicorn(server)["up"], timeout=20)
        assert tally.statuses.get(200, 0) > 10 and not tally.failures, tally
        again = _uvicorn(server)
        assert again["restarts"] == 1 and again["url"] == first["url"]
        assert children(server.process.pid, CHILD) == [again["pid"]]
        assert _metric(server, "twistbridge_uvicorn_up") == 1
        assert _metric(server, "twistbridge_uvicorn_restarts_total") == 1
        proxied = fetch(server.base("native") + "/proxy/hello")
        assert (proxied.status, proxied.body) == (200, b"Hello, world!")
        assert fetch(server.base("uvicorn") + "/hello").status == 200  # the same port
    log = server.output()
    assert f"uvicorn {first['pid']} exited (signal 9); a new one in 0 s" in log
    assert "Traceback" not in log


def test_a_uvicorn_dying_at_start_is_retried_later(tmp_path: Path) -> None:
    with run_server("--no-access-log", tmp_path=tmp_path, uvicorn=True) as server:
        served = _uvicorn(server)["pid"]
        os.kill(served, signal.SIGKILL)  # it had served: a new one at once

        def newcomer() -> int | None:
            found = set(children(server.process.pid, CHILD)) - {served}
            return found.pop() if found else None

        wait_until(lambda: newcomer() is not None)
        doomed = newcomer()
        assert doomed is not None
        os.kill(doomed, signal.SIGKILL)  # before it serves (it takes ~0.5 s to start)
        assert _uvicorn(server)["up"] is False
        wait_until(lambda: _uvicorn(server)["up"], timeout=20)
        assert _uvicorn(server)["restarts"] == 2, server.output()
    log = server.output()
    assert f"uvicorn {doomed} exited (signal 9); a new one in 0.5 s" in log, log
