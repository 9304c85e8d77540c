"""A full disk under the access log, as an operator meets it: the server keeps
serving, the lines the disk refuses are dropped and counted (`/stats`, `/metrics`)
so that memory stays bounded, the log says so in one line (not one per write, no
traceback), and writing resumes once the disk has room again.

`/dev/full` refuses every write (ENOSPC); a 64 KiB tmpfs that a test fills and then
empties is a disk that fills up and recovers (mounting it needs root)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.client import fetch
from tests.servers import PROCESS_MODELS, Server, run_server, wait_until

pytestmark = pytest.mark.long

REFUSED = "cannot write to {}: No space left on device"
LINE = re.compile(
    r'"127\.0\.0\.1" - - \[[^\]]+\] "GET (\S+) HTTP/1\.1" 200 \d+ "-" "[^"]*"'
)


def pipelined(url: str, count: int, batch: int = 500) -> int:
    """GET `url` `count` times on one connection, `batch` requests per write (a
    client as fast as the server); the number of 200 answers."""
    parts = urlsplit(url)
    request = f"GET {parts.path} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
    answered = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        for start in range(0, count, batch):
            want = min(batch, count - start)
            sock.sendall(request * want)
            received = b""
            while received.count(b"HTTP/1.1 200 ") < want:
                chunk = sock.recv(1 << 20)
                assert chunk, "the server closed the connection"
                received += chunk
            answered += want
    return answered


def _dropped(server: Server, model: str) -> int:
    stats = json.loads(fetch(server.url + "/stats").body)
    if model == "workers":  # every worker's, from the files behind /metrics
        return int(stats["workers"]["access_log_dropped"])
    log = stats["access_log"]
    assert log["pending"] <= 10_000  # the bound: written (or dropped) past it
    return int(log["dropped"])


@pytest.mark.parametrize("model", PROCESS_MODELS)
def test_a_full_disk_drops_and_counts_lines_and_the_server_serves_on(
    tmp_path: Path, model: str
) -> None:
    args = ("--access-log-file", "/dev/full", "--uvicorn-port", "0")
    with run_server(*args, *PROCESS_MODELS[model], tmp_path=tmp_path) as server:
        # New connections: under --workers each may go to either worker.
        served = sum(
            pipelined(server.base("native") + "/hello", 1000) for _ in range(4)
        )
        assert served == 4000
        # Every line is dropped once its write fails (within a second): none is kept.
        wait_until(lambda: _dropped(server, model) >= served, timeout=10)
        metrics = fetch(server.url + "/metrics").text
        counted = re.search(
            r"^twistbridge_access_log_dropped_lines_total (\S+)$", metrics, re.M
        )
        assert counted is not None and float(counted.group(1)) >= served
        wait_until(lambda: server.output().count("No space left on device") >= 1)
        before = server.output().count("No space left on device")
        pipelined(server.base("native") + "/hello", 500)  # more failing writes:
        wait_until(lambda: _dropped(server, model) >= served + 500, timeout=10)
        assert fetch(server.base("native") + "/hello").status == 200
        assert fetch(server.url + "/readyz").status == 200
        assert server.process.poll() is None
    log = server.output()
    # Said once by each process that wrote (at most once a minute), not per write.
    assert (
        log.count("No space left on device")
        == before
        <= (2 if model == "workers" else 1)
    )
    assert "lines dropped, and every line until it can" in log
    assert "Traceback" not in log


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a disk that fills up."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root (CAP_SYS_ADMIN): {mounted.stderr}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as sink:
        try:
            while True:
                sink.write(b"x" * 4096)
        except OSError:
            pass  # ENOSPC: the disk is full
    return filler


@pytest.mark.parametrize("model", PROCESS_MODELS)
def test_writing_resumes_when_the_disk_has_room_again(
    small_disk: Path, tmp_path: Path, model: str
) -> None:
    log_file = small_disk / "access.log"
    args = ("--access-log-file", str(log_file), "--uvicorn-port", "0")
    with run_server(*args, *PROCESS_MODELS[model], tmp_path=tmp_path) as server:
        filler = _fill(small_disk)
        pipelined(server.base("native") + "/hello", 600)  # some 100 KiB of lines
        wait_until(lambda: REFUSED.format(log_file) in server.output())
        filler.unlink()  # room again
        for _ in range(4):  # new connections: both workers write some
            assert pipelined(server.base("native") + "/about", 20) == 20
        wait_until(lambda: log_file.read_text().count("/native/about") == 80)
        wait_until(lambda: "again" in server.output())
        assert server.process.poll() is None
    lines = log_file.read_text().splitlines()
    # The lines after the recovery are whole (a line a partial write cut short is
    # ended before them), and every request of theirs is there.
    after = lines[-80:]
    assert all(LINE.fullmatch(line) for line in after), after
    assert {LINE.fullmatch(line).group(1) for line in after} == {"/native/about"}  # type: ignore[union-attr]
    log = server.output()
    assert f"writing to {log_file} again" in log
    assert "Traceback" not in log
