"""The WSGI mount and an app's iterator, differential against gunicorn (PEP 3333's
reference behaviour): close() runs on every path, a client that leaves stops the
iteration, blocks go out as they are yielded, a failure after some blocks cuts the
connection after them, and a client that does not read holds the app back."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.client import exchange, fetch, parse
from tests.servers import Server, spawn

HOST = [sys.executable, "-m", "tests.twisted_host.bridges.wsgi_host"]


# The mount under a plain Site (the resource lane), under twistbridge's own Site on
# its default parser (the direct lane, `twisted_host.http.lanes`), and gunicorn.
@pytest.fixture(scope="module", params=["mount", "edge", "gunicorn"])
def host(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(request.param)
    with spawn([*HOST, request.param], tmp_path=tmp) as server:
        yield server


def is_mount(server: Server) -> bool:
    return list(server.process.args)[-1] != "gunicorn"  # type: ignore[arg-type]


def connect(server: Server, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", urlsplit(server.url).port or 80))
    return sock


def events(server: Server) -> list[str]:
    return json.loads(fetch(server.url + "/w/events").body)  # type: ignore[no-any-return]


def seen_soon(server: Server, event: str, timeout: float = 5) -> bool:
    """Whether `event` shows within `timeout` (gunicorn calls close() after it has
    sent the answer, so after the client may have read it)."""
    deadline = time.monotonic() + timeout
    while event not in events(server):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_close_runs_after_a_whole_answer(host: Server) -> None:
    reply = fetch(host.url + "/w/normal?a")
    assert (reply.status, len(reply.body)) == (200, 140000)
    assert seen_soon(host, "a closed")


def test_close_runs_when_the_iterator_fails(host: Server) -> None:
    # The answer is cut short: the response had started when the app failed.
    with pytest.raises(http.client.IncompleteRead):
        fetch(host.url + "/w/fails?b")
    assert seen_soon(host, "b closed")
    assert "b chunk 0" in events(host)
    assert "b chunk 1" not in events(host)


def test_a_client_gone_stops_the_iteration(host: Server) -> None:
    port = urlsplit(host.url).port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /w/slow?c HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.recv(65536)
        time.sleep(0.3)
    assert seen_soon(host, "c closed")
    seen = events(host)
    assert sum(event.startswith("c chunk") for event in seen) < 20  # not all 50
    if is_mount(host):
        # No failure logged for it (a failure names its request line; an app's own
        # error, /w/fails, is logged with its traceback).
        assert "GET /w/slow?c" not in host.output()


def test_blocks_go_out_as_they_are_yielded(host: Server) -> None:
    # PEP 3333: "must not delay the transmission of any block". 20 lines 50 ms apart:
    # the first arrives while the view still yields the others.
    with connect(host) as sock:
        sock.sendall(b"GET /w/lines?n=20&pause=0.05 HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while b"line 0" not in first:
            first += sock.recv(65536)
        assert b"line 19" not in first
        rest = first
        while b"line 19" not in rest:
            rest += sock.recv(65536)
    assert all(b"line %d\n" % index in rest for index in range(20))


def test_the_write_callable(host: Server) -> None:
    reply = fetch(host.url + "/w/write")
    assert (reply.status, reply.body) == (200, b"written blocks\n")


def test_a_failure_after_two_blocks_cuts_the_connection(host: Server) -> None:
    raw = b"GET /w/fails-after-two HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = exchange(host.url, raw)  # returns when the server closes
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"first block\n" in body and b"second block\n" in body
    assert not body.endswith(b"0\r\n\r\n")  # never a complete chunked answer


def test_a_client_that_does_not_read_holds_the_app_back(host: Server) -> None:
    # 16 MiB in 64 KiB blocks to a client that reads nothing for a while: the app
    # yields what the socket buffers take and then waits (gunicorn's sendall blocks).
    tag = f"big{time.monotonic_ns()}"
    with connect(host, rcvbuf=65536) as sock:
        request = f"GET /w/big?mb=16&tag={tag} HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(request.encode())
        time.sleep(1.5)
        yielded = sum(event.startswith(f"{tag} block") for event in events(host))
        assert 0 < yielded < 128  # under 8 MiB of the 16 produced
        received = 0
        while received < 16 * 1024 * 1024:
            data = sock.recv(1 << 20)
            assert data
            received += len(data)
    assert f"{tag} block 255" in events(host)


# --- the environ and the request body ------------------------------------------------

CHUNKED = b"POST /w/%s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"


def chunked(*parts: bytes) -> bytes:
    return (
        b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"
    )


def test_environ_framing_keys_as_gunicorn(host: Server) -> None:
    # CGI: the body's headers as CONTENT_* only, absent when the request has none;
    # the input terminated by the server.
    plain = json.loads(fetch(host.url + "/w/environ").body)
    assert plain == {"wsgi.input_terminated": True, "http_content": []}
    headers = {"Content-Type": "application/json"}
    posted = json.loads(
        fetch(host.url + "/w/environ", "POST", headers=headers, body=b"{}").body
    )
    assert posted == {
        "CONTENT_LENGTH": "2",
        "CONTENT_TYPE": "application/json",
        "wsgi.input_terminated": True,
        "http_content": [],
    }
    raw = CHUNKED % b"environ" + b"Connection: close\r\n\r\n" + chunked(b"{}")
    streamed = json.loads(parse(exchange(host.url, raw)).body)
    assert streamed == {"wsgi.input_terminated": True, "http_content": []}


def test_a_chunked_body_reaches_the_app(host: Server) -> None:
    parts = [b'{"a": 1}', b"x" * 100000, b"end"]
    raw = CHUNKED % b"upload" + b"Connection: close\r\n\r\n" + chunked(*parts)
    result = json.loads(parse(exchange(host.url, raw)).body)
    whole = b"".join(parts)
    assert result == {"length": len(whole), "sha256": hashlib.sha256(whole).hexdigest()}


def test_a_name_with_underscore_cannot_impersonate_one_with_a_dash(
    host: Server,
) -> None:
    # CGI maps "-" to "_": `X_Foo: evil` would be the HTTP_X_FOO of the `X-Foo` a proxy
    # in front strips and sets. gunicorn drops the name (header_map "drop", 22.0).
    raw = (
        b"GET /w/headers HTTP/1.1\r\nHost: x\r\nX_Foo: evil\r\nX-Foo: good\r\n"
        b"X_Only: alone\r\nConnection: close\r\n\r\n"
    )
    reply = parse(exchange(host.url, raw))
    seen = json.loads(reply.body)
    assert reply.status == 200
    assert seen["HTTP_X_FOO"] == "good"
    assert "HTTP_X_ONLY" not in seen
