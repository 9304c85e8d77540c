"""Properties of the HTTP edge, checked with hypothesis against a real server: no
input a client can send yields a 5xx, a traceback or a hang past the deadlines, and
the same bytes cut into any TCP segments get the same answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.client import exchange, fetch, parse
from tests.servers import Server, run_server

HEADER_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory, parser: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"properties-{parser}")
    args = ("--header-timeout", str(HEADER_TIMEOUT), "--idle-timeout", "2")
    args += ("--http", parser)
    with run_server(*args, "--no-access-log", "--uvicorn-port", "0", tmp_path=tmp) as s:
        yield s
    assert "Traceback" not in s.output() and "Unhandled" not in s.output()


# Mostly well-formed pieces, some broken ones: the interesting inputs are near-misses.
methods = st.sampled_from(
    ["GET"] * 4 + ["HEAD", "POST", "PUT", "OPTIONS", "BREW", "G T", ""]
)
mounts = st.sampled_from(["/native", "/wsgi", "/asgi", "", "/nowhere"])
paths = st.sampled_from(
    [
        *["/hello", "/echo", "/form", "/static/hello.txt", "/calendar/2013"],
        *["/busy?seconds=0", "/static/../x", "/%00", "/%ff%fe", "/busy?seconds=-1"],
        *["/calendar/" + "9" * 300, "/static/images/noise.bin", ""],
    ]
)
versions = st.sampled_from(["HTTP/1.1"] * 5 + ["HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", ""])
header_names = st.sampled_from(
    [
        *["X-A", "Accept", "Range", "Content-Length", "Transfer-Encoding"],
        *["Content-Type", "If-Modified-Since", "Host", "Bad Name", ""],
    ]
)
header_values = st.one_of(
    st.sampled_from(["x", "0", "5", "-1", "chunked", "gzip", "99999999999", "1, 2"]),
    st.sampled_from(["bytes=0-10", "bytes=5-1", "bytes=0-,0-", "*/*", "x=1"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20),
    st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=5),
)
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=64),
    st.just(b"form-field=a"),
    st.just(b"5\r\nhello\r\n0\r\n\r\n"),
    st.just(b"zz\r\n"),
)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    line = f"{draw(methods)} {draw(mounts)}{draw(paths)} {draw(versions)}"
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=6))
    if draw(st.integers(0, 4)):  # mostly with a Host
        headers.insert(0, ("Host", "127.0.0.1"))
    head = line + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
    return head.encode("latin-1") + draw(bodies)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.one_of(requests(), st.binary(min_size=1, max_size=200)))
def test_malformed_input_never_5xx_nor_hangs(edge: Server, raw: bytes) -> None:
    started = time.monotonic()
    answer = _send(edge, raw + b"\r\n\r\n")
    assert time.monotonic() - started < HEADER_TIMEOUT + 4
    if answer:
        assert answer.startswith(b"HTTP/1.")
        status = int(answer[9:12])
        assert status < 500, answer[:300]
        assert b"Traceback" not in answer
    assert fetch(edge.url + "/native/hello").status == 200


DETERMINISTIC = [
    b"GET /native/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /wsgi/about HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"POST /asgi/form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
    b"\r\nContent-Length: 14\r\nConnection: close\r\n\r\nform-field=a%3C",
    b"POST /native/form HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: "
    b"application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
    b"b\r\nform-field=\r\n3\r\nabc\r\n0\r\n\r\n",
    b"GET /asgi/hello HTTP/1.1\r\nHost: x\r\n\r\nGET /native/about HTTP/1.1\r\nHost: x\r\n"
    b"Connection: close\r\n\r\n",
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    index=st.integers(0, len(DETERMINISTIC) - 1),
    cuts=st.lists(st.integers(1, 300), max_size=8),
)
def test_segmentation_does_not_change_the_answer(
    edge: Server, index: int, cuts: list[int]
) -> None:
    raw = DETERMINISTIC[index]
    whole = parse(exchange(edge.url, raw))
    points = sorted({cut % len(raw) for cut in cuts} - {0})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    split = parse(_send(edge, pieces))
    assert (split.status, split.body) == (whole.status, whole.body)


def _send(
    server: Server, data: bytes | list[bytes], close_write: bool = False
) -> bytes:
    port = urlsplit(server.url).port
    with socket.create_connection(
        ("127.0.0.1", port), timeout=HEADER_TIMEOUT + 3
    ) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for piece in [data] if isinstance(data, bytes) else data:
                sock.sendall(piece)
                time.sleep(0.002)  # a segment of its own
            if close_write:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may have answered and closed already
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)
