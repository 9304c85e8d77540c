"""The server helpers every test shares: a real `twistbridge serve` (or any server
command) on ephemeral ports, started and stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from core.mounts import BY_NAME, UVICORN, UVICORN_PREFIX
from core.settings import Settings
from tests.client import fetch
from twisted_host.run.process import READY

TWISTBRIDGE = [sys.executable, "-m", "twisted_host"]
PARSERS = ["httptools", "twisted"]  # `--http`: the `parser` fixture runs tests on both
# For modules that test something else against the session server (the load engine):
# the default parser only, instead of the whole module twice.
DEFAULT_PARSER_ONLY = pytest.mark.parametrize(
    "parser", [Settings().http], indirect=True, scope="session"
)


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str  # the Site, e.g. http://127.0.0.1:41234
    uvicorn_url: str | None
    log: Path
    admin_url: str | None = None  # the admin listener (`--admin-port`)

    def base(self, mount: str) -> str:
        """Where a mount's paths start: /native, /wsgi, /asgi, or uvicorn's /asgi."""
        if mount == UVICORN:
            assert self.uvicorn_url is not None
            return self.uvicorn_url + UVICORN_PREFIX
        return self.url + BY_NAME[mount].prefix

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def run_server(
    *args: str,
    tmp_path: Path,
    command: str = "serve",
    timeout: float = 30,
    context: ssl.SSLContext | None = None,
    uvicorn: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Start `twistbridge COMMAND --port 0 ARGS` and stop it (by its PID) afterwards;
    `context` verifies a server that serves HTTPS; `env` adds to its environment.
    uvicorn runs beside it (on any free port) only when the test asks for it: its
    child process costs half a second of CPU at every start, a tenth of the whole
    suite's."""
    argv = [*TWISTBRIDGE, command, "--port", "0", *args]
    if command == "serve" and "--uvicorn-port" not in args:
        argv += ["--uvicorn-port", "auto" if uvicorn else "0"]
    with spawn(
        argv, tmp_path=tmp_path, timeout=timeout, env=env, context=context
    ) as server:
        yield server


class StartedOnce:
    """Servers started when a test first asks for one (by key: a parser, an app) and
    kept until `stack` closes. pytest keeps one instance of a parametrised fixture
    of a wide scope at a time: as tests alternate between its parameters, it tears
    its server down and starts it again each time."""

    def __init__(
        self, stack: ExitStack, start: Callable[[str], AbstractContextManager[Server]]
    ) -> None:
        self.stack, self.start = stack, start
        self.started: dict[str, Server] = {}

    def get(self, key: str) -> Server:
        if key not in self.started:
            self.started[key] = self.stack.enter_context(self.start(key))
        return self.started[key]


@contextmanager
def spawn(
    argv: list[str],
    *,
    tmp_path: Path,
    timeout: float = 30,
    env: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
    cwd: Path | None = None,
) -> Iterator[Server]:
    """Run a server process (in `cwd`) until it prints its READY line; SIGTERM it
    afterwards."""
    log = tmp_path / f"server-{time.monotonic_ns()}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})),
            cwd=cwd,
        )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        match = None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            match = READY.search(line.strip())
            if match:
                break
        if match is None:
            process.kill()
            raise RuntimeError(f"{argv} did not start:\n{log.read_text()}")
        server = Server(process, match.group(1), match.group(2), log, match.group(3))
        if server.uvicorn_url:
            _wait_for(server.base("uvicorn") + "/hello", context)
        yield server
    finally:
        terminate(process)
        if process.stdout is not None:
            process.stdout.close()


def serve_error(*args: str) -> str:
    """`twistbridge serve ARGS` refused: exit 2 and one line of error, no traceback;
    that line."""
    result = subprocess.run(
        [*TWISTBRIDGE, "serve", "--port", "0", "--uvicorn-port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return errors[0]


def terminate(process: subprocess.Popen[str]) -> None:
    """SIGTERM a process this test started (by its PID), and SIGKILL it if it has not
    ended 15 s later."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(url: str, context: ssl.SSLContext | None, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if fetch(url, timeout=5, context=context).status == 200:
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def free_port() -> int:
    """A port nothing listens on now, for servers that cannot take port 0."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# What a server says when the port `free_port` found was taken before it bound it
# (by another test worker's server or client): the start is tried again on another.
PORT_TAKEN = "in use"


@contextmanager
def reference(
    argv: list[str],
    *,
    tmp_path: Path,
    timeout: float = 30,
    probe: str = "/",
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Run a reference server (uvicorn, gunicorn) on 127.0.0.1: `{port}` in argv is
    replaced by a free port; ready once `probe` answers. SIGTERM afterwards."""
    for attempt in range(3):
        port = free_port()
        log = tmp_path / f"reference-{time.monotonic_ns()}.log"
        with log.open("w") as sink:
            process = subprocess.Popen(
                [arg.replace("{port}", str(port)) for arg in argv],
                stdout=sink,
                stderr=subprocess.STDOUT,
                text=True,
                env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})),
            )
        url = f"http://127.0.0.1:{port}"
        try:
            if _answers(process, url + probe, log, timeout, retry=attempt < 2):
                yield Server(process, url, None, log)
                return
        finally:
            terminate(process)


def _answers(
    process: subprocess.Popen[str], url: str, log: Path, timeout: float, retry: bool
) -> bool:
    """Whether `process` came to answer `url`; False when it ended because its port
    was taken and another try is allowed."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            if retry and PORT_TAKEN in log.read_text():
                return False
            raise RuntimeError(f"{process.args!r} did not start:\n{log.read_text()}")
        try:
            fetch(url, timeout=5)
            return True
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


PASSWORD = "correct horse"  # of the test certificate's key


@dataclass(frozen=True)
class Certificates:
    """A trustme CA and a certificate for 127.0.0.1 it issued, as `serve` takes them."""

    ca: trustme.CA
    certfile: Path
    keyfile: Path  # encrypted with PASSWORD

    def client_context(self) -> ssl.SSLContext:
        """A client's context that trusts this CA only: not the system's store,
        whose loading (`ssl.create_default_context`) cost 20 ms of CPU a call."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ca.configure_trust(context)
        return context

    def serve_args(self) -> list[str]:
        return [
            *("--ssl-certfile", str(self.certfile)),
            *("--ssl-keyfile", str(self.keyfile)),
            *("--ssl-keyfile-password", PASSWORD),
        ]


def make_certificates(folder: Path) -> Certificates:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    certfile = folder / "cert.pem"
    certfile.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), None)
    keyfile = folder / "key.pem"
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        )
    )
    return Certificates(ca, certfile, keyfile)


# How `serve` runs, for the faults an operator meets in each: one process, or a
# supervisor and two workers (`--workers 2`).
PROCESS_MODELS = {"single": (), "workers": ("--workers", "2")}


def wait_until(condition: Callable[[], object], timeout: float = 15) -> float:
    """Seconds until `condition()` is true; AssertionError past `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started
