"""The `twistbridge` command as a person uses it: help, bad flags, the access log,
and a clean stop that takes uvicorn down with it."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.client import fetch
from tests.servers import TWISTBRIDGE, run_server

pytestmark = pytest.mark.long


def twistbridge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TWISTBRIDGE, *args], capture_output=True, text=True, timeout=60
    )


def test_help_explains_the_mounts() -> None:
    result = twistbridge("--help")
    assert result.returncode == 0
    for word in ("/native", "/wsgi", "/asgi", "uvicorn", "serve", "raw-echo"):
        assert word in result.stdout


def test_serve_help_shows_defaults() -> None:
    result = twistbridge("serve", "--help")
    assert result.returncode == 0
    out = " ".join(result.stdout.split())
    for option in ("--host", "--port", "--uvicorn-port", "--wsgi-threads"):
        assert option in out
    assert "default: 8000" in out and "default: 8001" in out
    assert "--access-log / --no-access-log" in out


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "http"],
        ["serve", "--port", "70000"],
        ["serve", "--wsgi-threads", "0"],
        ["serve", "--uvicorn-port", "nope"],
        ["serve", "--static-root", "/no/such/folder"],
        ["serve", "--static-child", "nonsense"],
        ["serve", "--frobnicate"],
        ["serve", "--workers", "0"],
        ["serve", "--workers", "2", "--endpoint", "tcp:0"],
        ["serve", "--drain-delay", "-1"],
    ],
)
def test_bad_flags_get_a_one_line_error(args: list[str]) -> None:
    result = twistbridge(*args)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_port_in_use_exits_1(tmp_path: Path, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                *TWISTBRIDGE,
                "serve",
                "--port",
                str(port),
                "--uvicorn-port",
                "0",
                "--workers",
                workers,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on tcp:{port}" in result.stderr


def test_access_log_is_combined_format(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    with run_server("--access-log-file", str(log), tmp_path=tmp_path) as server:
        fetch(server.base("native") + "/hello", headers={"User-Agent": "tester/1"})
        fetch(server.base("wsgi") + "/nope")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and log.read_text().count("\n") < 2:
            time.sleep(0.1)  # the log is flushed once a second
    lines = log.read_text().splitlines()
    combined = r'"127\.0\.0\.1" - - \[[^\]]+\] "GET {} HTTP/1\.1" {} \d+ "-" "{}"'
    assert re.fullmatch(combined.format("/native/hello", 200, "tester/1"), lines[0])
    assert re.fullmatch(combined.format("/wsgi/nope", 404, r"[^\"]*"), lines[1])


def test_no_access_log(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    args = ("--no-access-log", "--access-log-file", str(log))
    with run_server(*args, tmp_path=tmp_path) as server:
        assert fetch(server.base("native") + "/hello").status == 200
        time.sleep(1.2)
    assert not log.exists() or log.read_text() == ""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_everything(tmp_path: Path, signum: int) -> None:
    with run_server("--no-access-log", tmp_path=tmp_path, uvicorn=True) as server:
        assert fetch(server.base("uvicorn") + "/hello").status == 200
        children = _children(server.process.pid)
        assert children, "uvicorn runs as a child process"
        server.process.send_signal(signum)
        assert server.process.wait(timeout=20) == 0
        for pid in children:
            assert not _alive(pid), f"child {pid} outlived twistbridge"
    assert "Traceback" not in server.output()


def test_uvicorn_dies_with_a_killed_parent(tmp_path: Path) -> None:
    with run_server("--no-access-log", tmp_path=tmp_path, uvicorn=True) as server:
        children = _children(server.process.pid)
        server.process.kill()
        server.process.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in children)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_access_log_keeps_the_last_lines_on_stop(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    with run_server("--access-log-file", str(log), tmp_path=tmp_path) as server:
        fetch(server.base("native") + "/hello")
        server.process.send_signal(signal.SIGTERM)  # before the once-a-second flush
        assert server.process.wait(timeout=20) == 0
    assert '"GET /native/hello HTTP/1.1" 200' in log.read_text()


def test_serve_help_groups_the_flags_as_uvicorns_docs() -> None:
    result = twistbridge("serve", "--help")
    assert result.returncode == 0
    headings = [
        line[:-1]
        for line in result.stdout.splitlines()
        if re.fullmatch(r"[A-Z][A-Za-z ]+:", line)
    ]
    assert headings == [
        "Application", "Dashboard and admin", "Socket binding", "Development",
        "Production", "Logging", "HTTP", "HTTPS", "Resource limits", "Timeouts",
        "WebSockets", "Demo", "Other options",  # --help, and a flag of no section
    ]  # fmt: skip
    sections: dict[str, str] = {}
    current = ""
    for line in result.stdout.splitlines():
        if line[:-1] in headings:
            current = line[:-1]
        elif line.strip().startswith("--"):
            sections[line.split()[0]] = current
    expected = {
        "--asgi": "Application", "--config": "Application", "--admin-port": "Dashboard and admin",
        "--port": "Socket binding", "--reload": "Development", "--workers": "Production",
        "--log-level": "Logging", "--root-path": "HTTP", "--ssl-certfile": "HTTPS",
        "--limit-max-requests": "Resource limits", "--backlog": "Resource limits",
        "--idle-timeout": "Timeouts", "--ws-max-size": "WebSockets", "--busy-max": "Demo",
    }  # fmt: skip
    assert {flag: sections.get(flag) for flag in expected} == expected
