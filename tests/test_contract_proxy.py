"""The `proxy` feature over real HTTP, on every mount and uvicorn: `M/proxy/<path>`
forwarded to the upstream (by default uvicorn's /asgi; uvicorn's own forwards to
itself), the answer streamed back, hop-by-hop headers dropped, X-Forwarded-* added,
paths that would leave the upstream's base refused, 502 for an upstream that is down,
504 for one too slow, and a 50 MiB answer relayed in bounded memory."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from core import proxy
from core.content import HELLO, NOT_FOUND, error_page, form_result_page
from core.contract import TEXT
from core.mounts import TARGETS, UVICORN
from tests.client import fetch, read_events
from tests.servers import Server, free_port, run_server

BIG = 50 * 1024 * 1024


def test_proxy_get(base: str) -> None:
    reply = fetch(base + "/proxy/hello")
    assert (reply.status, reply.header("content-type"), reply.text) == (
        200,
        TEXT,
        HELLO,
    )
    assert len(reply.headers.get_all("server") or []) == 1  # ours, not both


@pytest.mark.parametrize("path", ["/proxy/", "/proxy/about"])
def test_proxy_maps_below_the_upstream_base(base: str, path: str) -> None:
    direct = fetch(base.rsplit("/", 1)[0] + "/asgi" + path[len("/proxy") :])
    reply = fetch(base + path)
    assert (
        (reply.status, reply.text) == (direct.status, direct.text) == (200, reply.text)
    )


def test_proxy_head(base: str) -> None:
    reply = fetch(base + "/proxy/hello", "HEAD")
    assert (reply.status, reply.header("content-type"), reply.body) == (200, TEXT, b"")


def test_proxy_post_body(base: str) -> None:
    body = b"form-field=" + b"x" * 100_000
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = fetch(base + "/proxy/form", "POST", body=body, headers=headers)
    assert (reply.status, reply.text) == (200, form_result_page("x" * 100_000))


def test_proxy_headers_passed(base: str, server: Server) -> None:
    reply = fetch(
        base + "/proxy/echo?x=1&y=%20",
        "PUT",
        body=b"",
        headers={
            "X-Custom": "kept",
            "Connection": "X-Hop",
            "X-Hop": "dropped: Connection names it",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic c2VjcmV0",
            "X-Forwarded-Proto": "gopher",
        },
    )
    assert reply.status == 200
    lines = reply.text.splitlines()
    # The request line the upstream saw: under its own base path, the query as sent.
    assert lines[1].startswith("PUT /asgi/echo?x=1&y=%20 HTTP/1.")
    seen = dict(line.split(": ", 1) for line in lines[2:])
    site = urlsplit(base).netloc
    assert seen["x-custom"] == "kept"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"  # the client's own is replaced
    assert seen["x-forwarded-host"] == site
    assert server.uvicorn_url is not None  # every proxy's upstream, by default
    assert seen["host"] == urlsplit(server.uvicorn_url).netloc
    for hop in ("x-hop", "keep-alive", "proxy-authorization"):
        assert hop not in seen


@pytest.mark.parametrize(
    "path",
    [
        "/proxy/../hello",
        "/proxy/a/../../hello",
        "/proxy/%2e%2e/hello",
        "/proxy/./hello",
        "/proxy/a%2F..%2F..%2Fhello",
        "/proxy/a%5C..%5Chello",
        "/proxy/a%00b",
    ],
)
def test_proxy_path_escape_refused(base: str, path: str) -> None:
    reply = fetch(base + path)
    assert (reply.status, reply.text) == (400, error_page(400, proxy.ESCAPE))


@pytest.mark.parametrize(
    "path", ["/proxy//evil.example/x", "/proxy/http://evil.example/", "/proxy/a//b"]
)
def test_proxy_empty_segment_is_no_resource(base: str, path: str) -> None:
    # As everywhere on the Site: "//" is no resource (twisted_host/http/paths.py).
    reply = fetch(base + path)
    assert (reply.status, reply.text) == (404, NOT_FOUND)


def test_proxy_method_not_allowed(base: str) -> None:
    reply = fetch(base + "/proxy/echo", "TRACE")
    assert reply.status == 405
    assert reply.header("allow") == ", ".join(proxy.METHODS)


# --- upstream down, upstream slow: servers of their own -------------------------------


@pytest.fixture(scope="module")
def down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    closed = f"http://127.0.0.1:{free_port()}/asgi"
    tmp = tmp_path_factory.mktemp("proxy-down")
    with run_server(
        "--no-access-log", "--proxy-upstream", closed, tmp_path=tmp, uvicorn=True
    ) as s:
        yield s
    assert "Traceback" not in s.output()


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("proxy-slow")
    with run_server(
        "--no-access-log", "--proxy-timeout", "1", tmp_path=tmp, uvicorn=True
    ) as s:
        yield s
    assert "Traceback" not in s.output()


@pytest.mark.parametrize("target", TARGETS)
def test_proxy_upstream_down_is_502(down: Server, target: str) -> None:
    reply = fetch(down.base(target) + "/proxy/hello")
    assert (reply.status, reply.text) == (502, error_page(502, proxy.UNREACHABLE))


@pytest.mark.parametrize("target", TARGETS)
def test_proxy_upstream_slow_is_504(slow: Server, target: str) -> None:
    started = time.monotonic()
    reply = fetch(slow.base(target) + "/proxy/busy?seconds=5")
    assert (reply.status, reply.text) == (504, error_page(504, proxy.TOO_SLOW))
    assert time.monotonic() - started < 4
    assert fetch(slow.base(target) + "/proxy/busy?seconds=0").status == 200


# --- a streamed answer relayed as it comes; one that breaks off, cut ------------------


@pytest.mark.parametrize("target", TARGETS)
def test_proxy_relays_a_stream(server: Server, target: str) -> None:
    # uvicorn answers the stream chunked (even to the native proxy's HTTP/1.0
    # request): the events arrive as events, not with the upstream's chunk framing.
    events = read_events(server.base(target) + "/proxy/events?count=2")
    assert [text.startswith("data: The local time is ") for _, text in events] == [
        True,
        True,
    ]
    assert events[0][0] < 0.9 < events[1][0]  # each as it comes


def _breaking_upstream() -> int:
    """A server whose every answer breaks off: a chunk then the end of the connection
    (`/chunked`), or 5 bytes of a promised 1000 (any other path)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            connection, _ = listener.accept()
            with connection:
                head = b""
                while b"\r\n\r\n" not in head and (more := connection.recv(65536)):
                    head += more
                if b"/chunked" in head.split(b"\r\n", 1)[0]:
                    connection.sendall(CHUNKED_HEAD + b"5\r\nhello\r\n")
                else:
                    connection.sendall(LENGTH_HEAD + b"hello")
                time.sleep(0.1)

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
LENGTH_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"


@pytest.fixture(scope="module")
def breaking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    upstream = f"http://127.0.0.1:{_breaking_upstream()}/u"
    tmp = tmp_path_factory.mktemp("proxy-breaking")
    with run_server(
        "--no-access-log", "--proxy-upstream", upstream, tmp_path=tmp, uvicorn=True
    ) as s:
        yield s
    # What a relay raises when the upstream breaks off is logged, as an app's error
    # (uvicorn logs the same), with the chain that led to it; nothing else is.
    chained = ("The above exception was the direct cause", "During handling of")
    for trace in s.output().split("Traceback (most recent call last):")[1:]:
        if not any(words in trace for words in chained):  # the last of a chain
            raised = next(line for line in trace.splitlines()[1:] if line[:1].strip())
            assert "UpstreamCut" in raised, raised


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", ["/proxy/chunked", "/proxy/length"])
def test_proxy_cuts_an_answer_that_broke_off(
    breaking: Server, target: str, path: str
) -> None:
    # The status line went out before the upstream broke off: the client must not
    # take what came for the whole answer (uvicorn closes the connection likewise).
    # Before: the chunked answer ended cleanly, the other waited out the timeout.
    with pytest.raises(httpx.TransportError):
        httpx.get(breaking.base(target) + path, timeout=5)
    assert fetch(breaking.base(target) + "/hello").status in (200, 404)


# --- a 50 MiB answer, relayed in bounded memory --------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A Site proxying to another that serves a 50 MiB file; and the file's digest."""
    root: Path = tmp_path_factory.mktemp("proxy-root")
    data = os.urandom(1024 * 1024) * 50
    (root / "big.bin").write_bytes(data)
    tmp = tmp_path_factory.mktemp("proxy-big")
    with run_server(
        "--no-access-log", "--static-root", str(root), "--uvicorn-port", "0",
        tmp_path=tmp, uvicorn=True,
    ) as origin:  # fmt: skip
        upstream = origin.url + "/native"
        with run_server(
            "--no-access-log", "--proxy-upstream", upstream, tmp_path=tmp, uvicorn=True
        ) as front:
            yield front, hashlib.sha256(data).hexdigest()
        assert "Traceback" not in front.output()
    assert "Traceback" not in origin.output()


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
@pytest.mark.parametrize("target", TARGETS)
def test_proxy_streams_50_mib(big: tuple[Server, str], target: str) -> None:
    front, digest = big
    # uvicorn's proxy is another process; the Site's RSS is measured for its mounts.
    pid = front.process.pid
    # Warmed up first: what a first proxied request loads once is not the relay's.
    assert fetch(front.base(target) + "/proxy/static/").status == 200
    before = _rss(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss(pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    parts = urlsplit(front.base(target) + "/proxy/static/big.bin")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", parts.path)
        answer = connection.getresponse()
        assert answer.status == 200
        sha, size = hashlib.sha256(), 0
        # Slower than the upstream can send: the relay must hold back, not buffer.
        while chunk := answer.read(256 * 1024):
            sha.update(chunk)
            size += len(chunk)
            time.sleep(0.005)
    finally:
        connection.close()
        done.set()
        sampler.join()
    assert (size, sha.hexdigest()) == (BIG, digest)
    if target != UVICORN:
        assert peak[0] - before < 16 * 1024 * 1024, (before, peak[0])


@pytest.mark.parametrize("target", TARGETS)
def test_proxy_client_leaving_mid_answer(big: tuple[Server, str], target: str) -> None:
    # The upstream's answer is dropped with the client; the log says nothing (the
    # fixture reads it for tracebacks) and the proxy answers the next request.
    front, _ = big
    parts = urlsplit(front.base(target) + "/proxy/static/big.bin")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", parts.path)
    answer = connection.getresponse()
    assert len(answer.read(1024 * 1024)) == 1024 * 1024
    connection.sock.close()
    connection.close()
    time.sleep(0.3)
    assert fetch(front.base(target) + "/proxy/hello").text == HELLO
