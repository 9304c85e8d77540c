"""Limits on a worker's life, as uvicorn's and gunicorn's flags: `--limit-concurrency`
(503 past N requests in flight), `--limit-max-requests` (a worker recycled
gracefully, no request failing, with or without `--workers`), `--backlog`."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.client import fetch, in_background, keep_fetching
from tests.servers import run_server

pytestmark = pytest.mark.long

RECYCLED = re.compile(r"(\d+) requests served \(--limit-max-requests\)")


def test_limit_concurrency_answers_503(tmp_path: Path) -> None:
    args = ["--limit-concurrency", "2", "--uvicorn-port", "0"]
    with run_server(*args, tmp_path=tmp_path) as server:
        busy = server.base("native") + "/busy?seconds=3"
        with in_background([busy, busy]) as statuses:
            deadline = time.monotonic() + 10
            while True:  # until both busy requests are in flight
                refused = fetch(server.base("native") + "/hello")
                if refused.status == 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert refused.status == 503
            assert refused.headers["retry-after"] == "1"
            assert "Over 2 requests in flight" in refused.text
        assert statuses == [200, 200]
        assert fetch(server.base("native") + "/hello").status == 200  # room again


@pytest.mark.parametrize("workers", ["1", "2"], ids=["no-workers", "two-workers"])
def test_limit_max_requests_recycles_with_no_failed_request(
    tmp_path: Path, workers: str
) -> None:
    args = ["--workers", workers, "--limit-max-requests", "40"]
    args += ["--limit-max-requests-jitter", "10", "--no-access-log"]
    args += ["--uvicorn-port", "0", "--no-demo", "--asgi", "/=tests.apps.echo:asgi"]
    with run_server(*args, tmp_path=tmp_path) as server:
        pid = server.process.pid
        with keep_fetching(server.url + "/x", threads=4) as tally:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if len(RECYCLED.findall(server.output())) >= 3:
                    break
                time.sleep(0.2)
        assert tally.failures == [] and set(tally.statuses) == {200}, tally
        assert server.process.poll() is None and server.process.pid == pid
        recycled = [int(count) for count in RECYCLED.findall(server.output())]
        assert len(recycled) >= 3, server.output()
        assert all(40 <= count <= 50 for count in recycled)
        assert "Traceback" not in server.output()


def test_backlog(tmp_path: Path) -> None:
    with run_server(
        "--backlog", "37", "--uvicorn-port", "0", tmp_path=tmp_path
    ) as server:
        port = server.url.rsplit(":", 1)[1]
        listing = subprocess.run(
            ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True
        ).stdout
        # A listening socket's Send-Q is its backlog.
        assert listing.split()[2] == "37", listing
