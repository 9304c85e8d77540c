"""SIGTERM as a deploy sends it: requests in flight finish on every mount, new
connections are refused, the process exits 0; a second signal exits at once."""

from __future__ import annotations

import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.mounts import MOUNT_NAMES
from tests.client import Reply, fetch
from tests.servers import run_server

pytestmark = pytest.mark.long


def _connect_refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_in_flight_requests_finish(tmp_path: Path, parser: str) -> None:
    # Three requests in flight on every mount at once, when the signal comes.
    with run_server("--no-access-log", "--http", parser, tmp_path=tmp_path) as server:
        with ThreadPoolExecutor(3 * len(MOUNT_NAMES)) as pool:
            pending = {
                mount: [
                    pool.submit(fetch, f"{server.base(mount)}/busy?seconds=1.5")
                    for _ in range(3)
                ]
                for mount in MOUNT_NAMES
            }
            time.sleep(0.5)
            stopped_at = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            assert _connect_refused(server.url)  # no new connections
            replies: dict[str, list[Reply]] = {
                mount: [future.result(timeout=20) for future in futures]
                for mount, futures in pending.items()
            }
        statuses = {m: [reply.status for reply in r] for m, r in replies.items()}
        assert statuses == {mount: [200] * 3 for mount in MOUNT_NAMES}
        assert server.process.wait(timeout=20) == 0
        assert time.monotonic() - stopped_at < 8
    assert "Traceback" not in server.output()


def test_grace_period_is_a_deadline(tmp_path: Path) -> None:
    args = ("--no-access-log", "--shutdown-grace", "0.5")
    with run_server(*args, tmp_path=tmp_path) as server, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(fetch, server.base("native") + "/busy?seconds=30")
        time.sleep(0.3)
        stopped_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=20) == 0
        assert time.monotonic() - stopped_at < 6
        with pytest.raises(OSError):
            pending.result(timeout=20)  # cut off after the grace period


def test_second_signal_exits_at_once(tmp_path: Path) -> None:
    with (
        run_server("--no-access-log", tmp_path=tmp_path) as server,
        ThreadPoolExecutor(1) as pool,
    ):
        pending = pool.submit(fetch, server.base("asgi") + "/busy?seconds=30")
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        stopped_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 1
        assert time.monotonic() - stopped_at < 2
        with pytest.raises(OSError):
            pending.result(timeout=20)
    assert "second signal" in server.output()
