"""The HTTP edge (twisted_host/edge.py), over raw sockets, on every mount of the Site:
each limit answered with its status code, smuggling shapes refused, pipelining in
order, and the server answering /native/hello after every one of them."""

from __future__ import annotations

import re
import socket
import struct
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from core.content import error_page
from core.mounts import MOUNT_NAMES
from tests.client import Reply, exchange, fetch, in_background, parse
from tests.servers import Server, run_server

SITE_MOUNTS = list(MOUNT_NAMES)
LIMITS = [
    "--header-timeout", "1", "--idle-timeout", "2", "--max-connections", "40",
    "--max-request-line", "1024", "--max-header-bytes", "4096", "--max-headers", "20",
    "--max-body-size", "10000", "--max-form-fields", "50", "--max-form-memory", "2000",
    "--asgi-timeout", "1",
]  # fmt: skip


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory, parser: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"edge-{parser}")
    args = (*LIMITS, "--http", parser, "--no-access-log", "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp) as s:
        yield s


@pytest.fixture(params=SITE_MOUNTS)
def prefix(request: pytest.FixtureRequest) -> str:
    return f"/{request.param}"


@pytest.fixture(autouse=True)
def still_serving(edge: Server) -> Iterator[None]:
    yield
    assert fetch(edge.url + "/native/hello").status == 200


def send(server: Server, raw: bytes, timeout: float = 10) -> Reply:
    return parse(exchange(server.url, raw, timeout=timeout))


def refused(reply: Reply, status: int) -> None:
    assert reply.status == status
    assert reply.header("connection") == "close"
    assert reply.text.startswith(error_page(status, ""))
    assert b"Traceback" not in reply.body


# --- limits -----------------------------------------------------------------------------


def test_request_line_too_long(edge: Server, prefix: str) -> None:
    reply = send(
        edge, f"GET {prefix}/{'a' * 2000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    refused(reply, 414)


def test_header_block_too_large(edge: Server, prefix: str) -> None:
    headers = "".join(f"X-H{i}: {'v' * 300}\r\n" for i in range(15))
    reply = send(
        edge, f"GET {prefix}/hello HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode()
    )
    refused(reply, 431)


def test_one_huge_header(edge: Server, prefix: str) -> None:
    raw = f"GET {prefix}/hello HTTP/1.1\r\nHost: x\r\nX-Big: {'v' * 9000}\r\n\r\n"
    refused(send(edge, raw.encode()), 431)


def test_too_many_headers(edge: Server, prefix: str) -> None:
    headers = "".join(f"X-H{i}: v\r\n" for i in range(25))
    reply = send(
        edge, f"GET {prefix}/hello HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode()
    )
    refused(reply, 431)


def test_body_over_limit_refused_before_it_is_sent(edge: Server, prefix: str) -> None:
    # Only the headers go out: the 413 must come without waiting for the body.
    raw = (
        f"POST {prefix}/form HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    started = time.monotonic()
    reply = send(edge, raw.encode(), timeout=5)
    refused(reply, 413)
    assert time.monotonic() - started < 3


def test_chunked_body_cut_off_at_limit(edge: Server, prefix: str) -> None:
    chunk = b"x" * 4000
    body = (
        b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
    )
    raw = (
        f"POST {prefix}/form HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    ).encode() + body
    refused(send(edge, raw), 413)


def test_body_under_limit_is_served(edge: Server, prefix: str) -> None:
    body = b"form-field=" + b"y" * 1000
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = fetch(f"{edge.url}{prefix}/form", "POST", headers=headers, body=body)
    assert reply.status == 200


@pytest.mark.parametrize(
    "body",
    [
        b"&".join(b"f%d=1" % i for i in range(60)),  # over 50 fields
        b"form-field=" + b"z" * 3000,  # a value over 2000 bytes
    ],
)
def test_form_limits(edge: Server, prefix: str, body: bytes) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = fetch(f"{edge.url}{prefix}/form", "POST", headers=headers, body=body)
    assert reply.status == 413


def test_slow_headers_get_408(edge: Server) -> None:
    port = urlsplit(edge.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /native/hello HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        for _ in range(3):  # slowloris: a byte now and then, never the blank line
            time.sleep(0.3)
            sock.sendall(b"X")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert time.monotonic() - started < 5
    refused(parse(answer), 408)


def test_idle_keepalive_connection_is_closed(edge: Server) -> None:
    port = urlsplit(edge.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /native/hello HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert sock.recv(65536) == b""  # closed by the server
    assert 1.5 < time.monotonic() - started < 6


def test_connection_cap_answers_503(edge: Server) -> None:
    port = urlsplit(edge.url).port
    held = [
        socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(45)
    ]
    try:
        time.sleep(0.3)
        answers = []
        for sock in held:
            sock.settimeout(0.2)
            try:
                answers.append(sock.recv(65536))
            except TimeoutError:
                answers.append(b"")
        overloaded = [a for a in answers if a.startswith(b"HTTP/1.1 503")]
        assert len(overloaded) >= 5
        assert b"Too many open connections" in overloaded[0]
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)


# --- the strict edge --------------------------------------------------------------------

SMUGGLING = [
    "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    "Content-Length: -1\r\n\r\n",
    "Content-Length: 1_0\r\n\r\n",
    "Content-Length : 5\r\n\r\nhello",
]


@pytest.mark.parametrize("shape", SMUGGLING)
def test_smuggling_shapes_are_refused(edge: Server, prefix: str, shape: str) -> None:
    raw = f"POST {prefix}/echo HTTP/1.1\r\nHost: x\r\n{shape}"
    reply = send(edge, raw.encode())
    assert reply.status == 400


@pytest.mark.parametrize(
    "head",
    [
        "GET {p}/hello HTTP/1.1\r\n\r\n",  # no Host
        "GET {p}/hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET {p}/hello HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET {p}/hello HTTP/1.1\r\nHost: a/b\r\n\r\n",
        "GET hello HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET {p}/hello HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET  {p}/hello HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET {p}/hello\r\nHost: x\r\n\r\n",
        "GET {p}/he llo HTTP/1.1\r\nHost: x\r\n\r\n",
        "G\x00T {p}/hello HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET {p}/hello HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n",
        "GET {p}/hello HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
    ],
)
def test_bad_requests_get_400(
    edge: Server, parser: str, prefix: str, head: str
) -> None:
    reply = send(edge, head.format(p=prefix).encode())
    if parser == "httptools" and head.startswith("GET  "):
        # RFC 9112 section 3 lets a server split the request line on any run of
        # blanks; llhttp does, and so uvicorn answers it: so does the C parser here.
        assert reply.status == 200
        return
    assert reply.status == 400
    assert reply.header("connection") == "close"


def test_http10_without_host_is_fine(edge: Server, prefix: str) -> None:
    reply = send(edge, f"GET {prefix}/hello HTTP/1.0\r\n\r\n".encode())
    assert (reply.status, reply.text) == (200, "Hello, world!")


def test_pipelined_requests_answered_in_order(edge: Server) -> None:
    paths = ["/wsgi/busy?seconds=0.2", "/native/hello", "/asgi/about", "/native/nope"]
    raw = "".join(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n" for path in paths)
    raw += "GET /wsgi/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = exchange(edge.url, raw.encode())
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert statuses == [b"200", b"200", b"200", b"404", b"200"]
    order = [
        answer.index(marker) for marker in (b"Finally done", b"Hello, world!", b"About")
    ]
    assert order == sorted(order)


def test_refusal_behind_pipelined_requests_comes_after_their_answers(
    edge: Server,
) -> None:
    # The C parser reads ahead of the answers: the 431 it finds must wait its turn.
    headers = "".join(f"X-H{i}: v\r\n" for i in range(25))
    raw = (
        "GET /wsgi/busy?seconds=0.3 HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /native/hello HTTP/1.1\r\nHost: x\r\n\r\n"
        f"GET /native/hello HTTP/1.1\r\nHost: x\r\n{headers}\r\n"
        "GET /native/about HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    answer = exchange(edge.url, raw.encode())
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"200", b"200", b"431"]
    assert answer.index(b"Finally done") < answer.index(b"Hello, world!")
    assert answer.endswith(error_page(431, "There are over 20 headers.").encode())


def test_bad_request_ahead_of_a_malformed_one_gets_its_own_400(edge: Server) -> None:
    # The malformed bytes are read ahead: the 400 still belongs to the first request.
    raw = b"GET /native/hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\nzz\r\n\r\n"
    answer = exchange(edge.url, raw)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"400"]
    assert b"The Host header is not one valid host." in answer


def test_many_pipelined_requests_all_answered_in_order(edge: Server) -> None:
    # Over a few kilobytes: the C parser stops reading ahead and picks up again.
    paths = [f"/native/calendar/{1700 + i}" for i in range(300)]
    raw = "".join(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n" for path in paths)
    raw += "GET /asgi/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = exchange(edge.url, raw.encode())
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"200"] * 301
    years = [int(year) for year in re.findall(rb"<pre>\s*(\d{4})", answer)]
    assert years == list(range(1700, 2000))


def test_nothing_is_read_after_connection_close(edge: Server) -> None:
    raw = (
        "GET /native/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        "GET /native/about HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    answer = exchange(edge.url, raw.encode())
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"200"]
    assert parse(answer).header("connection") == "close"


def test_expect_100_continue(edge: Server, prefix: str) -> None:
    port = urlsplit(edge.url).port
    head = (
        f"POST {prefix}/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Expect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        first = sock.recv(65536)
        if prefix in ("/native", "/klein"):
            # Twisted reads the body before the resource (a Klein app is one): the 100
            # comes at once.
            assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
        else:
            # The bridges stream bodies, under either parser: as uvicorn, the 100
            # comes with the app's first read, and the echo reads none
            # (tests/twisted_host/bridges/test_body_streaming.py has one that does).
            assert first.startswith(b"HTTP/1.1 200 OK\r\n")
        sock.sendall(b"hello")
        answer = first if first.startswith(b"HTTP/1.1 200") else b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert parse(answer).status == 200


# --- static ------------------------------------------------------------------------------


def test_range_requests_are_not_amplified(edge: Server, prefix: str) -> None:
    ranges = ",".join(["0-"] * 200)
    reply = fetch(
        f"{edge.url}{prefix}/static/images/noise.bin",
        headers={"Range": f"bytes={ranges}"},
    )
    assert reply.status in (200, 206, 416)
    assert len(reply.body) <= 65536 * 2


def test_unsatisfiable_range_is_416(edge: Server, prefix: str) -> None:
    reply = fetch(
        f"{edge.url}{prefix}/static/images/noise.bin", headers={"Range": "bytes=99999-"}
    )
    assert reply.status == 416


def test_asgi_request_timeout_is_504(edge: Server) -> None:
    started = time.monotonic()
    reply = fetch(edge.url + "/asgi/busy?seconds=5")
    assert (reply.status, reply.body) == (504, b"Gateway Timeout")
    assert time.monotonic() - started < 3
    assert fetch(edge.url + "/asgi/busy?seconds=0.2").status == 200


# --- the WSGI mount's queue --------------------------------------------------------------


@pytest.fixture(scope="module")
def one_thread(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("one-thread")
    args = ("--wsgi-threads", "1", "--wsgi-queue", "1", "--no-access-log")
    with run_server(*args, "--uvicorn-port", "0", tmp_path=tmp) as server:
        yield server
    assert "Traceback" not in server.output()


def test_full_wsgi_queue_answers_503(one_thread: Server) -> None:
    with in_background([one_thread.url + "/wsgi/busy?seconds=1"] * 2) as statuses:
        time.sleep(0.3)  # one request on the thread, one waiting: the queue is full
        reply = fetch(one_thread.url + "/wsgi/hello")
    assert reply.status == 503
    assert reply.header("retry-after") == "1"
    assert reply.text == error_page(
        503, "All 1 WSGI threads are busy and 1 requests wait."
    )
    assert statuses == [200, 200]
    assert fetch(one_thread.url + "/wsgi/hello").status == 200


def test_wsgi_work_of_a_client_gone_is_skipped(one_thread: Server) -> None:
    port = urlsplit(one_thread.url).port
    with in_background([one_thread.url + "/wsgi/busy?seconds=1"]):
        time.sleep(0.2)  # the only thread is busy for a second
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /wsgi/busy?seconds=5 HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.2)  # queued behind the first; then its client leaves
            # A reset: a FIN alone is a half-close, which is owed its answer
            # (RFC 9112 section 9.6; test_half_close.py).
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        started = time.monotonic()
        assert fetch(one_thread.url + "/wsgi/hello").status == 200
    # Served when the first request is done, not five seconds later.
    assert time.monotonic() - started < 3
