"""ASGI conformance of `ASGIResource`, differential: every case runs against the bridge
and against uvicorn serving the same raw ASGI app (tests/twisted_host/asgi_apps.py),
and asserts the same observable behaviour. Where the two differ on purpose, the test
says so."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client import exchange, fetch, parse
from tests.servers import Server, spawn

HOST = [sys.executable, "-m", "tests.twisted_host.bridges.asgi_host"]
# The bridge under a plain Site (the resource lane), under twistbridge's own Site
# on its default parser (the direct lane, `twisted_host.http.lanes`), and uvicorn.
TARGETS = ["bridge", "edge", "uvicorn"]


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(request.param)
    with spawn([*HOST, request.param, "conformance"], tmp_path=tmp) as server:
        yield server


def is_bridge(server: Server) -> bool:
    return "uvicorn" not in list(server.process.args)  # type: ignore[arg-type]


def url(server: Server, path: str) -> str:
    return f"{server.url}/bridge{path}"


def json_of(server: Server, path: str, **kwargs: Any) -> Any:
    reply = fetch(url(server, path), **kwargs)
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


def events(server: Server) -> list[str]:
    return json_of(server, "/events")  # type: ignore[no-any-return]


def wait_for_event(server: Server, event: str, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if event in events(server):
            return True
        time.sleep(0.05)
    return False


# --- the scope --------------------------------------------------------------------------


def test_scope(target: Server) -> None:
    port = int(target.url.rsplit(":", 1)[1])
    raw = (
        "GET /bridge/scope?x=1&y=%20 HTTP/1.1\r\nHost: example.test\r\n"
        "X-A: 1\r\nX-B: 2\r\nX-A: 3\r\nConnection: close\r\n\r\n"
    )
    scope = json.loads(parse(exchange(target.url, raw.encode())).body)
    assert scope["type"] == "http"
    assert scope["asgi"]["version"] == "3.0"
    assert scope["http_version"] == "1.1"
    assert (scope["method"], scope["scheme"]) == ("GET", "http")
    assert (scope["path"], scope["raw_path"]) == ("/bridge/scope", "/bridge/scope")
    assert scope["query_string"] == "x=1&y=%20"
    assert scope["root_path"] == "/bridge"
    # Names lower-cased, order and duplicates as received.
    assert scope["headers"] == [
        ["host", "example.test"],
        ["x-a", "1"],
        ["x-b", "2"],
        ["x-a", "3"],
        ["connection", "close"],
    ]
    assert scope["client_host"] == "127.0.0.1"
    assert scope["server"] == ["127.0.0.1", port]
    assert scope["state"] == {"greeting": "hello from startup"}


def test_scope_has_uvicorn_s_keys(target: Server) -> None:
    scope = json_of(target, "/scope")
    assert scope["keys"] == [
        "asgi", "client", "headers", "http_version", "method", "path", "query_string",
        "raw_path", "root_path", "scheme", "server", "state", "type",
    ]  # fmt: skip
    # spec_version differs: uvicorn says "2.3", the bridge "2.4" (left as it is).
    assert scope["asgi"]["version"] == "3.0"


def test_scope_http10(target: Server) -> None:
    raw = b"POST /bridge/scope HTTP/1.0\r\nContent-Length: 0\r\n\r\n"
    scope = json.loads(parse(exchange(target.url, raw)).body)
    assert (scope["http_version"], scope["method"]) == ("1.0", "POST")


@pytest.mark.parametrize(
    ("raw_path", "path"),
    [
        ("/bridge/scope/caf%C3%A9%20au%20lait", "/bridge/scope/café au lait"),
        ("/bridge/scope/a%2Fb", "/bridge/scope/a/b"),
        ("/bridge/scope/%E2%9C%93?", "/bridge/scope/✓"),
    ],
)
def test_percent_encoded_paths(target: Server, raw_path: str, path: str) -> None:
    raw = f"GET {raw_path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    scope = json.loads(parse(exchange(target.url, raw.encode())).body)
    assert scope["path"] == path
    assert scope["raw_path"] == raw_path.split("?")[0]


# --- request bodies ---------------------------------------------------------------------


def test_chunked_upload(target: Server) -> None:
    chunks = [b"hello ", b"chunked ", b"world" * 1000]
    body = (
        b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
        + b"0\r\n\r\n"
    )
    raw = (
        b"POST /bridge/body HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + body
    )
    result = json.loads(parse(exchange(target.url, raw)).body)
    whole = b"".join(chunks)
    assert result["length"] == len(whole)
    assert result["sha256"] == hashlib.sha256(whole).hexdigest()


def test_multi_megabyte_upload(target: Server) -> None:
    body = os.urandom(5 * 1024 * 1024)
    result = json_of(target, "/body", method="POST", body=body)
    assert result["length"] == len(body)
    assert result["sha256"] == hashlib.sha256(body).hexdigest()
    assert result["messages"] >= 2  # delivered as several http.request messages


def test_empty_body(target: Server) -> None:
    result = json_of(target, "/body")
    assert (result["length"], result["messages"]) == (0, 1)


# --- responses --------------------------------------------------------------------------


def test_streaming_response(target: Server) -> None:
    raw = b"GET /bridge/stream?chunks=3&size=5 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    head, _, body = exchange(target.url, raw).partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert body == b"5\r\nAAAAA\r\n5\r\nBBBBB\r\n5\r\nCCCCC\r\n0\r\n\r\n"


def test_multi_megabyte_download(target: Server) -> None:
    reply = fetch(url(target, "/stream?chunks=100&size=65536"))
    assert reply.status == 200
    assert len(reply.body) == 100 * 65536
    assert reply.body[:65536] == b"A" * 65536 and reply.body[-1:] == bytes(
        [65 + 99 % 26]
    )


def test_repeated_headers_stay_separate(target: Server) -> None:
    reply = fetch(url(target, "/headers"))
    assert reply.headers.get_all("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert reply.header("x-custom") == "Value"


def test_head_sends_no_body(target: Server) -> None:
    raw = b"HEAD /bridge/headers HTTP/1.1\r\nHost: h\r\n\r\nGET /bridge/headers HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    answer = exchange(target.url, raw)
    # The HEAD answer has headers only: the next bytes are the GET's status line.
    first, _, rest = answer.partition(b"\r\n\r\n")
    assert b"content-length: 7" in first.lower()
    assert rest.startswith(b"HTTP/1.1 200 OK")
    assert rest.endswith(b"cookies")


@pytest.mark.parametrize("code", [204, 304])
def test_no_body_statuses(target: Server, code: int) -> None:
    raw = (
        f"GET /bridge/status?code={code} HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /bridge/headers HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = exchange(target.url, raw)
    first, _, rest = answer.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 %d" % code)
    assert b"must not be sent" not in answer
    if is_bridge(target):
        assert rest.startswith(
            b"HTTP/1.1 200 OK"
        )  # the body dropped, the connection kept
    else:
        assert rest == b""  # uvicorn calls a body here an app error and closes


# --- failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/raise-before", "/no-response"])
def test_app_failure_before_start_is_500(target: Server, path: str) -> None:
    reply = fetch(url(target, path))
    assert (reply.status, reply.body) == (500, b"Internal Server Error")
    assert reply.header("content-type") == "text/plain; charset=utf-8"
    assert fetch(url(target, "/headers")).status == 200  # and the server goes on


def test_app_failure_after_start_aborts(target: Server) -> None:
    raw = b"GET /bridge/raise-after HTTP/1.1\r\nHost: h\r\n\r\n"
    answer = exchange(target.url, raw)
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"partial" in answer
    assert not answer.endswith(b"0\r\n\r\n")  # never a complete response
    assert fetch(url(target, "/headers")).status == 200


def test_app_failure_after_a_complete_response_closes(target: Server) -> None:
    # The whole answer, then the connection closed (the request was keep-alive); one
    # log entry for the app's exception and nothing about the bridge itself.
    path = "/bridge/raise-after-complete"
    with _open(target, "/raise-after-complete") as sock:
        sock.settimeout(5)
        answer = b""
        while data := sock.recv(65536):  # TimeoutError: the connection stayed open
            answer += data
    reply = parse(answer)
    assert (reply.status, reply.body) == (500, b"error page")
    assert fetch(url(target, "/headers")).status == 200
    if is_bridge(target):
        time.sleep(0.2)
        log = target.output()
        assert log.count(f"ASGI app raised while serving {path}") == 1, log
        assert "never retrieved" not in log
        assert "has no attribute" not in log


def test_no_traceback_in_responses(target: Server) -> None:
    for path in ["/raise-before", "/no-response"]:
        assert b"Traceback" not in fetch(url(target, path)).body


# --- disconnects and backpressure -------------------------------------------------------


def _open(server: Server, path: str) -> socket.socket:
    port = int(server.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET /bridge{path} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
    return sock


def _leave(sock: socket.socket) -> None:
    """The client goes: a reset, not a FIN, which twistbridge's own Site (the `edge`
    target) takes as a half-close still owed its answer (RFC 9112 section 9.6)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_disconnect_is_delivered(target: Server) -> None:
    tag = f"d{time.monotonic_ns()}"
    sock = _open(target, f"/wait-disconnect?tag={tag}")
    time.sleep(0.3)
    _leave(sock)
    assert wait_for_event(target, f"disconnect {tag}")


def test_send_after_disconnect(target: Server) -> None:
    tag = f"s{time.monotonic_ns()}"
    sock = _open(target, f"/wait-disconnect?tag={tag}")
    time.sleep(0.3)
    _leave(sock)
    assert wait_for_event(target, f"disconnect {tag}")
    time.sleep(0.2)
    seen = [event for event in events(target) if event.endswith(tag) or tag in event]
    if is_bridge(target):
        # The ASGI spec: send() on a closed connection raises an OSError subclass.
        assert f"send after disconnect raised OSError {tag} ClientDisconnected" in seen
    else:
        # uvicorn drops the message silently.
        assert f"send after disconnect returned {tag}" in seen


def test_app_ignoring_disconnect_is_cancelled(target: Server) -> None:
    if not is_bridge(target):
        pytest.skip("uvicorn lets an app that ignores http.disconnect run on")
    tag = f"c{time.monotonic_ns()}"
    sock = _open(target, f"/ignore-disconnect?tag={tag}")
    time.sleep(0.3)
    _leave(sock)
    assert wait_for_event(target, f"cancelled {tag}", timeout=5)  # grace is 1 s here


def test_backpressure_pauses_a_slow_reader(target: Server) -> None:
    chunks = 800  # 50 MiB: far more than the socket buffers hold
    port = int(target.url.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    request = f"GET /bridge/stream?chunks={chunks}&size=65536 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    sock.sendall(request.encode())
    time.sleep(1.5)  # read nothing: the app's send() must be waiting
    assert f"stream done {chunks}x65536" not in events(target)
    received = 0
    while data := sock.recv(1 << 20):
        received += len(data)
    sock.close()
    assert received > chunks * 65536
    assert wait_for_event(target, f"stream done {chunks}x65536")


# --- lifespan ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TARGETS)
def test_lifespan_shutdown_runs(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "marker"
    env = {"LIFESPAN_MARKER": str(marker)}
    with spawn([*HOST, kind, "conformance"], tmp_path=tmp_path, env=env) as server:
        assert json_of(server, "/scope")["state"] == {"greeting": "hello from startup"}
    # uvicorn re-raises the SIGTERM it handled once it is done: -15 is its clean exit.
    assert server.process.returncode in ((0,) if kind == "bridge" else (0, -15))
    assert marker.read_text() == "shutdown ran"


@pytest.mark.parametrize("kind", TARGETS)
def test_lifespan_startup_failure_stops_the_server(kind: str) -> None:
    result = subprocess.run(
        [*HOST, kind, "failing-startup"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ready" not in result.stdout
    assert "database unreachable" in result.stdout + result.stderr


@pytest.mark.parametrize("kind", TARGETS)
def test_app_without_lifespan_is_served(tmp_path: Path, kind: str) -> None:
    with spawn([*HOST, kind, "no-lifespan"], tmp_path=tmp_path) as server:
        reply = fetch(url(server, "/anything"))
        assert (reply.status, reply.body) == (200, b"served without lifespan")


def test_wrong_reactor_is_a_clear_error() -> None:
    code = (
        "from twisted.internet import reactor\n"
        "from twisted_host.bridges.asgi import ASGIResource\n"
        "ASGIResource(lambda *a: None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert (
        "RuntimeError: ASGIResource runs ASGI apps on the asyncio reactor"
        in result.stderr
    )


def test_bridge_made_after_the_reactor_started(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    env = {"LIFESPAN_MARKER": str(marker)}
    argv = [*HOST, "bridge", "conformance", "late"]
    with spawn(argv, tmp_path=tmp_path, env=env) as server:
        assert json_of(server, "/scope")["state"] == {"greeting": "hello from startup"}
    assert server.process.returncode == 0
    assert marker.read_text() == "shutdown ran"
