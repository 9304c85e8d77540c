"""Request bodies stream to both bridges as they arrive, differential against the
references: the ASGI bridge against uvicorn, the WSGI mount against gunicorn, each
bridge under twistbridge's own Site (its edge streams bodies). The app starts when
the headers are in, the client's sends wait while the app does not read, a 50 MiB
upload to disk leaves the server's memory flat, `Expect: 100-continue` is answered
at the app's first read, and an answer sent before the body was read leaves the
connection usable."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.measure import memory_mb
from tests.client import fetch, parse
from tests.servers import PARSERS, Server, spawn

ASGI_HOST = [sys.executable, "-m", "tests.twisted_host.bridges.asgi_host"]
WSGI_HOST = [sys.executable, "-m", "tests.twisted_host.bridges.wsgi_host"]
# name: (command, the upload app's path, the process that runs the app)
TARGETS = {
    "asgi": ([*ASGI_HOST, "edge", "conformance"], "/bridge"),
    "uvicorn": ([*ASGI_HOST, "uvicorn", "conformance"], "/bridge"),
    "wsgi": ([*WSGI_HOST, "edge"], "/w"),
    "gunicorn": ([*WSGI_HOST, "gunicorn"], "/w"),
}
MiB = 1024 * 1024


# The edge's bridges under each parser; the references once.
RUNS = [f"{name}-{parser}" for name in ("asgi", "wsgi") for parser in PARSERS]
RUNS += ["uvicorn", "gunicorn"]


@pytest.fixture(scope="module", params=RUNS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Server]]:
    name, _, parser = str(request.param).partition("-")
    argv, _ = TARGETS[name]
    env = {"EDGE_HTTP": parser} if parser else None
    tmp = tmp_path_factory.mktemp(request.param)
    with spawn(argv, tmp_path=tmp, env=env) as server:
        yield name, server


def prefix(name: str) -> str:
    return TARGETS[name][1]


def events(name: str, server: Server) -> list[str]:
    return json.loads(fetch(server.url + prefix(name) + "/events").body)  # type: ignore[no-any-return]


def wait_for(name: str, server: Server, event: str, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if event in events(name, server):
            return True
        time.sleep(0.05)
    return False


def app_pid(name: str, server: Server) -> int:
    """The process that runs the app: gunicorn's worker, else the server itself."""
    pid = server.process.pid
    if name == "gunicorn":
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return int(children[0])
    return pid


def upload_head(name: str, query: str, length: int, extra: str = "") -> bytes:
    return (
        f"POST {prefix(name)}/upload?{query} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Length: {length}\r\nContent-Type: application/octet-stream\r\n"
        f"{extra}\r\n"
    ).encode()


def connect(server: Server) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", urlsplit(server.url).port or 80))
    return sock


def answer_of(sock: socket.socket) -> dict[str, object]:
    """The JSON answer of the upload app (Content-Length delimited)."""
    raw = b""
    while b"\r\n\r\n" not in raw or len(parse(raw).body) < int(
        parse(raw).header("content-length") or 0
    ):
        data = sock.recv(65536)
        assert data, raw
        raw += data
    reply = parse(raw)
    assert reply.status == 200, raw
    return json.loads(reply.body)  # type: ignore[no-any-return]


def closed_after(sock: socket.socket, data: bytes) -> bytes:
    """Send `data` and read until the server closes (or resets) the connection."""
    rest = b""
    try:
        sock.sendall(data)
        while chunk := sock.recv(65536):
            rest += chunk
    except OSError:
        pass
    return rest


def tag() -> str:
    return f"t{time.monotonic_ns()}"


def test_the_app_starts_when_the_headers_are_in(target: tuple[str, Server]) -> None:
    name, server = target
    label, body = tag(), os.urandom(2 * MiB)
    with connect(server) as sock:
        sock.sendall(upload_head(name, f"tag={label}", len(body)) + body[:1024])
        assert wait_for(name, server, f"called {label}")  # 1 KiB of 2 MiB sent
        sock.sendall(body[1024:])
        result = answer_of(sock)
    assert result == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_sends_wait_while_the_app_does_not_read(target: tuple[str, Server]) -> None:
    # The app sleeps 1.5 s before its first read: meanwhile the server takes a few
    # socket buffers' worth of the 32 MiB body, not the body.
    name, server = target
    label, body = tag(), b"u" * (32 * MiB)
    sent = [0]

    def send_all(sock: socket.socket) -> None:
        for start in range(0, len(body), 65536):
            sock.sendall(body[start : start + 65536])
            sent[0] = start + 65536

    with connect(server) as sock:
        sock.sendall(upload_head(name, f"tag={label}&delay=1.5", len(body)))
        sender = threading.Thread(target=send_all, args=(sock,))
        sender.start()
        time.sleep(1.0)
        taken = sent[0]
        result = answer_of(sock)
        sender.join(timeout=30)
    assert taken < 4 * MiB, f"{taken / MiB:.1f} MiB taken before the app read"
    assert result["length"] == len(body)


def test_a_50_mib_upload_to_disk_keeps_memory_flat(target: tuple[str, Server]) -> None:
    name, server = target
    pid = app_pid(name, server)
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak RSS starts again here
    before = memory_mb(pid, "VmRSS")
    block, count = os.urandom(MiB), 50
    with connect(server) as sock:
        sock.sendall(upload_head(name, f"tag={tag()}", count * MiB))
        for _ in range(count):
            sock.sendall(block)
        result = answer_of(sock)
    assert result["length"] == count * MiB
    grown = memory_mb(pid, "VmHWM") - before
    assert grown < 10, f"peak RSS grew by {grown:.1f} MB for a 50 MiB upload"


def test_100_continue_comes_with_the_first_read(target: tuple[str, Server]) -> None:
    name, server = target
    label, body = tag(), b"c" * 1000
    expect = "Expect: 100-continue\r\n"
    with connect(server) as sock:
        sock.sendall(upload_head(name, f"tag={label}&delay=0.5", len(body), expect))
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        seen = events(name, server)
        sock.sendall(body)
        result = answer_of(sock)
    assert result["length"] == len(body)
    if name == "gunicorn":
        # gunicorn sends the 100 as it calls the app, whether or not it reads: the
        # app (which waits 0.5 s before reading) has not read yet, may not yet have
        # said it was called.
        assert f"reading {label}" not in seen
    else:
        # uvicorn (and the ASGI spec's intent): only when the app asks for the body.
        assert f"reading {label}" in seen


def test_no_100_continue_for_an_app_that_does_not_read(
    target: tuple[str, Server],
) -> None:
    name, server = target
    head = upload_head(name, "read=no", 1000, "Expect: 100-continue\r\n")
    with connect(server) as sock:
        sock.sendall(head)
        first = sock.recv(65536)
    if name == "gunicorn":
        assert first.startswith(b"HTTP/1.1 100 Continue")  # see above
    else:
        assert first.startswith(b"HTTP/1.1 200 OK")


def test_a_pipelined_upload_streams_in_its_turn(target: tuple[str, Server]) -> None:
    # A second upload sent right behind the first, its body held back until the 100:
    # once the first is answered, its app is called and asks for the body (the C
    # parser reads requests ahead: it must not keep that body from the app).
    name, server = target
    first, second, body = tag(), tag(), b"p" * 1000
    expect = "Expect: 100-continue\r\n"
    with connect(server) as sock:
        sock.sendall(
            upload_head(name, f"tag={first}&delay=0.5", len(body))
            + body
            + upload_head(name, f"tag={second}", len(body), expect)
        )
        seen = b""
        while b"HTTP/1.1 100 Continue\r\n\r\n" not in seen:
            data = sock.recv(65536)
            assert data, seen
            seen += data
        assert seen.startswith(b"HTTP/1.1 200 OK")  # the first's answer came first
        # Called before its body is sent (gunicorn answers 100 from its parser, just
        # before it calls the app: waited for, not read at once).
        assert wait_for(name, server, f"called {second}")
        sock.sendall(body)
        assert answer_of(sock)["length"] == len(body)


@pytest.mark.parametrize(
    ("size", "delay"),
    [(4 * MiB, 0), (200 * 1024, 0.5)],
    ids=["answered-while-the-body-arrives", "answered-after-a-body-left-unread"],
)
def test_an_unread_body_leaves_the_connection_usable(
    target: tuple[str, Server], size: int, delay: float
) -> None:
    # The app answers without reading the body (while it still arrives, or once it
    # is all in): the server drops the body, then answers the next request on the
    # same connection.
    name, server = target
    body = b"d" * size
    follow = f"GET {prefix(name)}/events HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    with connect(server) as sock:
        sock.sendall(upload_head(name, f"read=no&delay={delay}", len(body)))
        if delay:
            sock.sendall(body)
            body = b""
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 OK")
        if name == "gunicorn":
            # gunicorn closes instead (a client still sending may see a reset) and
            # never answers the next request; the bridges do as uvicorn does.
            assert b"events" not in closed_after(sock, body + follow)
            return
        sock.sendall(body + follow)
        answer = first
        while answer.count(b"HTTP/1.1 200 OK") < 2 or not answer.endswith(b"]"):
            data = sock.recv(65536)
            assert data, answer[-200:]
            answer += data


def test_a_client_gone_mid_body(target: tuple[str, Server]) -> None:
    name, server = target
    label = tag()
    with connect(server) as sock:
        sock.sendall(upload_head(name, f"tag={label}", 4 * MiB) + b"x" * MiB)
        assert wait_for(name, server, f"reading {label}")
    if name == "gunicorn":
        # gunicorn ends wsgi.input at the cut without an error: the app takes the
        # first MiB for the whole body. The mount raises from read(), as uvicorn
        # sends http.disconnect.
        return
    assert wait_for(name, server, f"disconnect {label}")
    assert fetch(server.url + prefix(name) + "/events").status == 200
    if name in ("asgi", "wsgi"):
        assert "Traceback" not in server.output()


def test_a_client_that_stops_sending_its_body(target: tuple[str, Server]) -> None:
    # Headers and 1 KiB of a 1 MiB body, then nothing: the app waits in its read.
    name, server = target
    label = tag()
    with connect(server) as sock:
        sock.sendall(upload_head(name, f"tag={label}", MiB) + b"s" * 1024)
        assert wait_for(name, server, f"reading {label}")
        if name in ("uvicorn", "gunicorn"):
            # Neither limits the time between a body's bytes: the app waits on.
            assert not wait_for(name, server, f"disconnect {label}", timeout=4)
            return
        # The edge's idle timeout (2 s here) closes the connection, as for a client
        # slow to send its headers; the app sees the client leave.
        sock.settimeout(8)
        assert sock.recv(65536) == b""
    assert wait_for(name, server, f"disconnect {label}")
