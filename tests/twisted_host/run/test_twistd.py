"""The twistd plugin: `twistd -n twistbridge` and `twist twistbridge` serve the Site of
`twistbridge serve`, found as an installed plugin (run from a folder outside the
checkout), and stop cleanly on SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.content import HELLO
from tests.client import fetch
from tests.servers import spawn

pytestmark = pytest.mark.long

BIN = Path(sys.executable).parent
COMMANDS = {
    # -n: in the foreground; the pid file in the test's folder.
    "twistd": [str(BIN / "twistd"), "-n", "--pidfile", "twistd.pid"],
    "twist": [str(BIN / "twist"), "--log-format", "text"],
}


@pytest.mark.parametrize("runner", list(COMMANDS))
def test_plugin_serves_the_site(tmp_path: Path, runner: str) -> None:
    argv = [*COMMANDS[runner], "twistbridge", "--port", "0", "--uvicorn-port", "auto"]
    with spawn([*argv, "--wsgi-threads", "3"], tmp_path=tmp_path, cwd=tmp_path) as s:
        for base in (
            s.base("native"),
            s.base("wsgi"),
            s.base("asgi"),
            s.base("uvicorn"),
        ):
            reply = fetch(base + "/hello")
            assert (reply.status, reply.text) == (200, HELLO)
        # The flags are serve's: three WSGI threads, as /stats counts them.
        assert json.loads(fetch(s.url + "/stats").body)["wsgi_pool"]["max"] == 3
        s.process.send_signal(signal.SIGTERM)
        assert s.process.wait(timeout=20) == 0
        assert s.process.stdout is not None
        log = s.process.stdout.read() + s.output()  # twistd logs to stdout
    assert re.search(r"\(TCP Port \d+ Closed\)", log), log  # a graceful stop
    assert "Traceback" not in log, log


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--workers", "2"], "--workers: twistd runs one process"),
        (["--reload"], "--reload: twistd runs one process"),
        (["--port", "x"], "Invalid value for '--port'"),
    ],
)
def test_bad_flags_are_usage_errors(
    tmp_path: Path, args: list[str], error: str
) -> None:
    done = subprocess.run(
        [*COMMANDS["twistd"], "twistbridge", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert error in done.stdout + done.stderr


def test_another_reactor_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "twistd"), "-n", "--reactor", "poll", "twistbridge"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert (
        "twistbridge needs twisted.internet.asyncioreactor" in done.stderr + done.stdout
    )


@pytest.mark.parametrize("runner", list(COMMANDS))
def test_a_port_in_use_exits_1_with_one_line(tmp_path: Path, runner: str) -> None:
    # On main twistd (and twist) said why and exited 0, as if it had served;
    # `serve` exits 1.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["twistbridge", "--port", str(port), "--uvicorn-port", "0"]
        done = subprocess.run(
            [*COMMANDS[runner], *argv],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    said = f"twistbridge: cannot listen on tcp:{port}:interface=127.0.0.1: "
    assert len([line for line in output.splitlines() if said in line]) == 1, output
    assert "Traceback" not in output


@pytest.mark.parametrize("runner", list(COMMANDS))
def test_a_bad_certificate_is_a_usage_error(tmp_path: Path, runner: str) -> None:
    # On main: Twisted's traceback when the service started (`serve`: one line).
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    argv = [*COMMANDS[runner], "twistbridge", "--port", "0", "--ssl-certfile", str(bad)]
    done = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    output = done.stdout + done.stderr
    assert done.returncode in (1, 64), output  # twist says EX_USAGE
    assert f"Invalid value for --ssl-certfile: cannot use {bad}" in output
    assert "Traceback" not in output
    serve = subprocess.run(
        [str(BIN / "twistbridge"), "serve", "--ssl-certfile", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"Invalid value for --ssl-certfile: cannot use {bad}" in serve.stderr
