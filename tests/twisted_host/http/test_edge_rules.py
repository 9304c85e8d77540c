"""The edge-rule table: a row per rule of `twisted_host.http.rules` (request bytes, the
status answered, whether the connection closes after it), run on every lane, on both
parsers, on every mount the lane serves, and over HTTP/2 for the rules that apply
there. A rule the module defines without a row fails `test_every_rule_has_a_row`.

Whether a connection closes is read as a client sees it: after the row's answer, a
second request; a connection that stays open answers it, one that closed does not.
A row whose head never completes (a deadline) is read until the server closes."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import ResponseReceived, StreamReset

from core.content import HELLO
from tests.servers import PARSERS, Certificates, Server, run_server
from tests.twisted_host.http.judge import h11_verdict
from twisted_host.http.rules import RULES

pytestmark = pytest.mark.long

LIMITS = [
    "--header-timeout",
    "1",
    "--idle-timeout",
    "2",
    "--max-request-line",
    "1024",
    "--max-header-bytes",
    "4096",
    "--max-headers",
    "20",
    "--max-body-size",
    "10000",
]
# User mounts beside the demo's: the echo apps say the client and scheme they see.
USER_MOUNTS = ["--wsgi", "/w=tests.apps.echo:wsgi", "--asgi", "/a=tests.apps.echo:asgi"]
EVERY_MOUNT = ("native", "klein", "wsgi", "asgi", "w", "a")
FORMS = ("native", "klein", "wsgi", "asgi")  # mounts whose /form reads the body
FOLLOW_UP = b"GET /native/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class Lane:
    """A way through the Site: the server it needs, the mounts it serves by parser."""

    args: tuple[str, ...]
    mounts: dict[str, tuple[str, ...]]  # by parser


# Every lane, by id (twisted_host.http.lanes): twisted.web `Request`s for every
# mount and parser (the direct lane turned off), and the bridges' mounts answered
# without one, under the C parser.
LANES = {
    "resource": Lane(
        ("--no-direct-lane",), {parser: EVERY_MOUNT for parser in PARSERS}
    ),
    "direct": Lane((), {"httptools": ("wsgi", "asgi", "w", "a")}),
}


@dataclass(frozen=True)
class Row:
    rule: str  # its name in rules.RULES
    case: str  # what the row sends, for the test id
    raw: bytes  # the request; "{m}" is the mount's path prefix
    status: int | None  # the final status answered (None: no answer)
    closes: bool
    mounts: tuple[str, ...] = EVERY_MOUNT
    holds: bytes = b""  # the answer (every byte of it) holds this
    lacks: bytes = b""  # and not this
    waits: bool = False  # the row is sent and the server's close awaited
    half_closes: bool = False  # then the client shuts down its sending side
    answers: int = 1  # final answers before the close, for a row that waits
    h11_refuses: bool = False  # h11, the judge, refuses it too


def _get(fields: bytes = b"Host: x\r\n", target: bytes = b"{m}/hello") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\n" + fields + b"\r\n"


def _chunked(trailer: bytes) -> bytes:
    head = b"POST {m}/form HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    head += b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    return head + b"e\r\nform-field=abc\r\n0\r\n" + trailer + b"\r\n"


def _post(fields: bytes, body: bytes, version: bytes = b"HTTP/1.1") -> bytes:
    head = b"POST {m}/form " + version + b"\r\nHost: x\r\n" + fields
    head += b"Content-Type: application/x-www-form-urlencoded\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


MANY = b"".join(b"X-%d: y\r\n" % i for i in range(21))
BIG_CHUNK = b"2711\r\n" + b"x" * 10001 + b"\r\n0\r\n\r\n"

# fmt: off
ROWS = [
    Row("request_form", "four parts", _get(target=b"{m}/hello junk"), 400, True, h11_refuses=True),
    Row("request_line_length", "1100 bytes", _get(target=b"{m}/" + b"a" * 1100), 414, True),
    Row("version", "HTTP/2.0", b"GET {m}/hello HTTP/2.0\r\nHost: x\r\n\r\n", 400, True),
    Row("target", "not a path", _get(target=b"hello"), 400, True),
    Row("target", "DEL byte", _get(target=b"{m}/a\x7f"), 400, True, h11_refuses=True),
    Row("host", "no Host", _get(b""), 400, True, h11_refuses=True),
    Row("host", "two Hosts", _get(b"Host: x\r\nHost: y\r\n"), 400, True, h11_refuses=True),
    Row("host", "a slash", _get(b"Host: x/y\r\n"), 400, True),
    Row("field_line", "control byte", _get(b"Host: x\r\nX-A: a\x01b\r\n"), 400, True),
    Row("field_line", "no colon", _get(b"Host: x\r\nX-A\r\n"), 400, True, h11_refuses=True),
    # h11 joins the lines (RFC 9112 allows either); llhttp and uvicorn refuse, the
    # judges of test_parsers_agree.py.
    Row("obs_fold", "folded", _get(b"Host: x\r\nX-A: a\r\n b\r\n"), 400, True),
    Row("header_block", "21 fields", _get(b"Host: x\r\n" + MANY), 431, True),
    Row("header_block", "5000 bytes", _get(b"Host: x\r\nX-A: " + b"a" * 5000 + b"\r\n"), 431, True),
    Row("transfer_encoding", "gzip, chunked", _post(b"Transfer-Encoding: gzip, chunked\r\n", b""), 400, True, FORMS, h11_refuses=True),
    Row("transfer_encoding", "twice", _post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b""), 400, True, FORMS, h11_refuses=True),
    Row("content_length", "not digits", _get(b"Host: x\r\nContent-Length: 1x\r\n"), 400, True, h11_refuses=True),
    Row("body_size", "Content-Length over", _post(b"", b"").replace(b"Content-Length: 0", b"Content-Length: 10001"), 413, True, FORMS),
    Row("body_size", "chunks over", _chunked(b"")[: -len(b"e\r\nform-field=abc\r\n0\r\n\r\n")] + BIG_CHUNK, 413, True, FORMS),
    Row("trailer_field", "not a field", _chunked(b"X-T 1\r\n"), 400, True, FORMS, h11_refuses=True),
    Row("trailer_field", "a field", _chunked(b"X-T: 1\r\n"), 200, False, FORMS),
    # h11 reads no trailer field; llhttp and uvicorn refuse these (test_parsers_agree).
    Row("trailer_framing", "Content-Length", _chunked(b"Content-Length: 5\r\n"), 400, True, FORMS),
    Row("trailer_framing", "Transfer-Encoding", _chunked(b"Transfer-Encoding: chunked\r\n"), 400, True, FORMS),
    Row("expects_continue", "HTTP/1.1", _post(b"Expect: 100-continue\r\n", b"form-field=a"), 200, False, FORMS, holds=b"HTTP/1.1 100 Continue\r\n"),
    Row("expects_continue", "HTTP/1.0", _post(b"Expect: 100-continue\r\n", b"form-field=a", b"HTTP/1.0"), 200, True, FORMS, lacks=b"100 Continue"),
    Row("persists", "HTTP/1.1", _get(), 200, False),
    Row("persists", "close", _get(b"Host: x\r\nConnection: close\r\n"), 200, True),
    Row("persists", "a list", _get(b"Host: x\r\nConnection: keep-alive, close\r\n"), 200, True),
    Row("persists", "two lines", _get(b"Host: x\r\nConnection: keep-alive\r\nConnection: close\r\n"), 200, True),
    Row("persists", "HTTP/1.0", b"GET {m}/hello HTTP/1.0\r\n\r\n", 200, True),
    Row("header_deadline", "slow head", b"GET {m}/hello HTTP/1.1\r\nHost: x\r\n", 408, True, waits=True),
    Row("idle_expired", "silent after", _get(), 200, True, waits=True),
    Row("half_close_expired", "answered", _get(), 200, True, waits=True, half_closes=True),
    Row("half_close_expired", "two answered", _get() * 2, 200, True, waits=True, half_closes=True, answers=2),
    Row("wsgi_passes", "X_Foo", _get(b"Host: x\r\nX_Foo: evil\r\nX-Foo: good\r\n", b"{m}/echo"), 200, False, ("wsgi",), holds=b"x-foo: good\n", lacks=b"evil"),
    Row("proxy_headers", "trusted peer", _get(b"Host: x\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Proto: https\r\n"), 200, False, ("w", "a"), holds=b'"client": "1.2.3.4"'),
]
# fmt: on


# Rows whose rule needs another request in flight beside theirs: sent on a server of
# their own (--limit-concurrency 1) while a busy request holds the one place.
# fmt: off
HELD_ROWS = [
    Row("concurrency", "one in flight", _get(), 503, False, holds=b"Retry-After: 1\r\n"),
]
# fmt: on
HELD_REQUEST = b"GET /native/busy?seconds=3 HTTP/1.1\r\nHost: x\r\n\r\n"


def test_every_rule_has_a_row() -> None:
    rows = [*ROWS, *HELD_ROWS]
    assert {row.rule for row in rows} == {rule.name for rule in RULES}
    assert set(H2_ROWS) == {rule.name for rule in RULES if rule.h2}


@pytest.mark.parametrize(
    "row",
    [r for r in [*ROWS, *HELD_ROWS] if r.status is not None and r.status >= 400],
    ids=lambda r: f"{r.rule}-{r.case}",
)
def test_a_refusal_row_says_what_its_rule_says(row: Row) -> None:
    rule = next(rule for rule in RULES if rule.name == row.rule)
    assert (row.status, row.closes) == (rule.status, rule.closes)


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r.h11_refuses], ids=lambda r: f"{r.rule}-{r.case}"
)
def test_h11_refuses_what_the_edge_refuses(row: Row) -> None:
    assert not h11_verdict(row.raw.replace(b"{m}", b"/native")).accepted


@pytest.fixture(scope="module", params=list(LANES))
def lane(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def _lane_server(
    factory: pytest.TempPathFactory, parser: str, lane: str, *limits: str
) -> Iterator[Server]:
    """The Site with the lane's mounts (user mounts too) under `limits`."""
    if not LANES[lane].mounts.get(parser):
        pytest.skip(f"the {lane} lane does not serve --http {parser}")
    tmp = factory.mktemp(f"rules-{parser}-{lane}")
    args = [*limits, *USER_MOUNTS, *LANES[lane].args, "--http", parser, "--show-lane"]
    with run_server(*args, "--no-access-log", "--uvicorn-port", "0", tmp_path=tmp) as s:
        yield s


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, parser: str, lane: str
) -> Iterator[Server]:
    with _lane_server(tmp_path_factory, parser, lane, *LIMITS) as server:
        yield server


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.rule}-{r.case}")
def test_row(site: Server, lane: str, parser: str, row: Row) -> None:
    mounts = [m for m in LANES[lane].mounts[parser] if m in row.mounts]
    if not mounts:
        pytest.skip(f"no mount of the {lane} lane takes this row")

    def exchange(mount: str) -> tuple[list[tuple[int, bytes]], bool]:
        raw = row.raw.replace(b"{m}", f"/{mount}".encode())
        return _exchange(site.url, raw, row.waits, row.half_closes)

    # Every mount at once, each on its own connection: a row that waits for a
    # deadline waits for it once, not once a mount.
    with ThreadPoolExecutor(len(mounts)) as pool:
        exchanges = list(pool.map(exchange, mounts))
    for mount, (seen, closed) in zip(mounts, exchanges, strict=True):
        finals = [status for status, _ in seen if status >= 200]
        where = f"on /{mount}: {seen!r}"
        assert (finals[:1] or [None]) == [row.status], where
        assert closed == row.closes, where
        assert not row.waits or len(finals) == row.answers, where
        answer = b"".join(head_and_body for _, head_and_body in seen)
        # The lane that answered says so (--show-lane); a refusal comes before one.
        for status, head_and_body in seen:
            if 200 <= status < 400:
                assert (
                    f"x-twistbridge-lane: {lane}\r\n".encode() in head_and_body.lower()
                ), where
        assert row.holds in answer, where
        assert not row.lacks or row.lacks not in answer, where
    assert "Traceback" not in site.output()


@pytest.fixture(scope="module")
def held_site(
    tmp_path_factory: pytest.TempPathFactory, parser: str, lane: str
) -> Iterator[Server]:
    limit = ("--limit-concurrency", "1")
    with _lane_server(tmp_path_factory, parser, lane, *limit) as server:
        yield server


@pytest.mark.parametrize("row", HELD_ROWS, ids=lambda r: f"{r.rule}-{r.case}")
def test_held_row(held_site: Server, lane: str, parser: str, row: Row) -> None:
    """Every mount of the lane refuses while a request holds the one place; once it
    is answered, the same connections are served. One hold for every mount: each
    mount's connection is refused during it, and served again after it."""
    parts = urlsplit(held_site.url)
    address = (parts.hostname, parts.port)
    mounts = LANES[lane].mounts[parser]
    raws = {m: row.raw.replace(b"{m}", f"/{m}".encode()) for m in mounts}
    with ExitStack() as stack:
        holder = stack.enter_context(socket.create_connection(address, timeout=10))
        holder.sendall(HELD_REQUEST)
        time.sleep(0.5)  # the busy request is in flight
        readers = {}
        for mount in mounts:
            sock = stack.enter_context(socket.create_connection(address, timeout=10))
            sock.sendall(raws[mount])
            readers[mount] = _Reader(sock)
            seen = readers[mount].answers_to_a_final()
            where = f"on /{mount}: {seen!r}"
            assert [status for status, _ in seen] == [row.status], where
            assert row.holds in seen[0][1], where
        assert _Reader(holder).answers_to_a_final()[0][0] == 200
        lane_header = f"x-twistbridge-lane: {lane}\r\n".encode()
        for mount, reader in readers.items():
            reader.sock.sendall(raws[mount])  # the place is free again
            again = reader.answers_to_a_final()
            where = f"on /{mount}: {again!r}"
            assert [status for status, _ in again] == [200], where
            assert lane_header in again[0][1].lower(), where
    assert "Traceback" not in held_site.output()


def _exchange(
    url: str, raw: bytes, waits: bool, half_closes: bool
) -> tuple[list[tuple[int, bytes]], bool]:
    """The answers to `raw` (status, bytes) up to the first final one, and whether
    the connection closed after it (see the module)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw)
        if half_closes:
            sock.shutdown(socket.SHUT_WR)
        reader = _Reader(sock)
        seen = reader.answers_to_a_final()
        if waits:
            closed = reader.closed_within(10)
            while (answer := reader.one()) is not None:
                seen.append(answer)
            return seen, closed
        if reader.closed:
            return seen, True
        try:
            sock.sendall(FOLLOW_UP)
        except OSError:
            return seen, True
        after = reader.answers_to_a_final()
        return seen, not any(
            status == 200 and HELLO.encode() in raw for status, raw in after
        )


class _Reader:
    """Answers read off a socket, one at a time (Content-Length or chunked)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.closed = False

    def _more(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            data = b""
        if not data:
            self.closed = True
        self.buffer += data
        return bool(data)

    def answers_to_a_final(self) -> list[tuple[int, bytes]]:
        seen: list[tuple[int, bytes]] = []
        while True:
            answer = self.one()
            if answer is None:
                return seen
            seen.append(answer)
            if answer[0] >= 200:
                return seen

    def one(self) -> tuple[int, bytes] | None:
        """The next answer, or None once the server closed without one."""
        while b"\r\n\r\n" not in self.buffer:
            if self.closed or not self._more():
                return None
        head = self.buffer.partition(b"\r\n\r\n")[0]
        status = int(head.split(b" ", 2)[1])
        fields = {
            name.strip().lower(): value.strip()
            for name, _, value in (
                line.partition(b":") for line in head.split(b"\r\n")[1:]
            )
        }
        if status < 200:
            size = 0
        elif b"content-length" in fields:
            size = int(fields[b"content-length"])
        elif fields.get(b"transfer-encoding") == b"chunked":
            size = self._chunked_size(len(head) + 4)
        else:
            while self._more():
                pass
            size = len(self.buffer.partition(b"\r\n\r\n")[2])
        while len(self.buffer.partition(b"\r\n\r\n")[2]) < size and self._more():
            pass
        end = len(head) + 4 + size
        answer, self.buffer = self.buffer[:end], self.buffer[end:]
        return status, answer

    def _chunked_size(self, start: int) -> int:
        """The length of the chunked body at `start` in the buffer (read as needed):
        its chunks, the last one and the blank line after it (no trailer here)."""
        at = start
        while True:
            while b"\r\n" not in self.buffer[at:] and self._more():
                pass
            line, _, _ = self.buffer[at:].partition(b"\r\n")
            chunk = int(line.split(b";")[0] or b"0", 16)
            at += len(line) + 2 + chunk + 2
            while len(self.buffer) < at and self._more():
                pass
            if chunk == 0:
                return at - start

    def closed_within(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self.closed and time.monotonic() < deadline:
            self._more()
        return self.closed


# --- HTTP/2: the rules that apply to a stream ---------------------------------------

# fmt: off
H2_ROWS = {
    "body_size": ("POST", "/asgi/form", {}, b"form-field=" + b"x" * 10000, 413, b""),
    "wsgi_passes": ("GET", "/wsgi/echo", {"x_foo": "evil", "x-foo": "good"}, b"", 200, b"evil"),
    "proxy_headers": ("GET", "/a/", {"x-forwarded-for": "1.2.3.4"}, b"", 200, b""),
    "target": ("GET", "asgi/hello", {}, b"", 400, b""),  # sent by a raw h2 client
}
# fmt: on


@pytest.fixture(scope="module")
def h2_site(
    certificates: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    args = [*LIMITS, *USER_MOUNTS, *certificates.serve_args(), "--no-access-log"]
    tmp = tmp_path_factory.mktemp("rules-h2")
    context = certificates.client_context()
    with run_server(*args, "--uvicorn-port", "0", tmp_path=tmp, context=context) as s:
        yield s


@pytest.mark.parametrize("rule", list(H2_ROWS))
def test_h2_row(h2_site: Server, certificates: Certificates, rule: str) -> None:
    method, path, headers, body, status, lacks = H2_ROWS[rule]
    context = certificates.client_context()
    if not path.startswith("/"):  # httpx would mend the path: h2's own client
        assert _raw_h2_status(h2_site.url, context, path.encode()) == status
        return
    with httpx.Client(http2=True, verify=context, timeout=30) as client:
        reply = client.request(
            method, h2_site.url + path, headers=headers, content=body
        )
        after = client.get(h2_site.url + "/native/hello")  # the connection lives on
    assert (reply.http_version, reply.status_code) == ("HTTP/2", status)
    assert not lacks or lacks not in reply.content
    if rule == "proxy_headers":
        assert reply.json()["client"] == "1.2.3.4"
    assert (after.http_version, after.text) == ("HTTP/2", HELLO)


def _raw_h2_status(url: str, context: ssl.SSLContext, path: bytes) -> int:
    """The status of a GET whose `:path` is sent as given, over TLS and h2."""
    parts = urlsplit(url)
    context.set_alpn_protocols(["h2"])
    raw = socket.create_connection((parts.hostname, parts.port), timeout=10)
    with context.wrap_socket(raw, server_hostname=parts.hostname) as sock:
        config = H2Configuration(client_side=True, validate_outbound_headers=False)
        conn = H2Connection(config=config)
        conn.initiate_connection()
        authority = parts.netloc.encode()
        head = [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", authority), (b":path", path)]  # fmt: skip
        conn.send_headers(1, head, end_stream=True)
        sock.sendall(conn.data_to_send())
        while data := sock.recv(65536):
            for event in conn.receive_data(data):
                if isinstance(event, ResponseReceived):
                    return int(dict(event.headers)[b":status"])
                if isinstance(event, StreamReset):
                    return 0
            sock.sendall(conn.data_to_send())
    return 0
