"""The known HTTP/2 floods, sent with the `h2` library as a raw client over TLS: each
is refused (GOAWAY or a closed connection) before it costs the server more than a
bounded buffer, the server keeps answering other clients, and nothing reaches the log
as a traceback. Twisted 26.10's `H2Connection` (a reset token bucket, a cap on
buffered control frames), h2 (a CONTINUATION backlog) and our `SiteH2Connection`
(frames on streams the client ended: CVE-2019-9514) do the refusing; these tests
hold them to it. Beside them, the edge's limits on HTTP/2: the header block
(`--max-header-bytes`, announced as SETTINGS_MAX_HEADER_LIST_SIZE) and open streams.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from itertools import repeat

import h2.config
import h2.connection
import h2.events
import httpx
import pytest
from h2.errors import ErrorCodes
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

from core.content import HELLO
from tests.servers import Certificates, Server
from tests.twisted_host.conftest import serve_https

SENT_AT_MOST = 1_000_000  # frames a flood may send before the test gives up
# What sending raises once the server has closed (its GOAWAY still to be read).
CLOSED = (BrokenPipeError, ConnectionResetError, ssl.SSLError)

https_server = pytest.fixture(scope="module")(serve_https)  # the floods' own server


@contextmanager
def alpn_h2(
    server: Server, certificates: Certificates, receive_buffer: int | None = 4096
) -> Iterator[ssl.SSLSocket]:
    """A TLS connection that negotiated h2 and has sent nothing yet, with a small
    receive buffer (a client that reads nothing fills the server's buffers sooner),
    or the system's."""
    host, port = server.url.removeprefix("https://").rstrip("/").split(":")
    context = certificates.client_context()
    context.set_alpn_protocols(["h2"])
    raw = socket.socket()
    if receive_buffer is not None:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    raw.settimeout(10)
    raw.connect((host, int(port)))
    with context.wrap_socket(raw, server_hostname=host) as tls:
        assert tls.selected_alpn_protocol() == "h2"
        yield tls


@contextmanager
def h2_client(
    server: Server, certificates: Certificates, receive_buffer: int | None = 4096
) -> Iterator[tuple[ssl.SSLSocket, h2.connection.H2Connection]]:
    """`alpn_h2`'s connection, with h2's client state, its preface sent."""
    with alpn_h2(server, certificates, receive_buffer) as tls:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        tls.sendall(conn.data_to_send())
        yield tls, conn


def _request(path: str) -> list[tuple[str, str]]:
    return [
        (":method", "GET"),
        (":path", path),
        (":scheme", "https"),
        (":authority", "127.0.0.1"),
    ]


def ending(tls: ssl.SSLSocket, conn: h2.connection.H2Connection) -> str:
    """How the server ended the connection: "goaway <code>" or "closed"."""
    tls.settimeout(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            data = tls.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            return "closed"
        if not data:
            return "closed"
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                return f"goaway {ErrorCodes(event.error_code).name}"
    return "still open"


def flood(tls: ssl.SSLSocket, frames: bytes, per_send: int) -> int:
    """Send `frames` until the server stops taking them; how many were sent."""
    sent = 0
    try:
        while sent < SENT_AT_MOST:
            tls.sendall(frames)
            sent += per_send
    except (*CLOSED, TimeoutError):
        pass
    return sent


class GoawayWatch:
    """The server's frames, read as frames only (no client state, which would
    refuse answers to streams a flood sent raw): its GOAWAY's error code, once."""

    def __init__(self) -> None:
        self.buffer = b""
        self.answered: set[int] = set()  # the streams it sent HEADERS on

    def feed(self, data: bytes) -> str | None:
        self.buffer += data
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                break
            kind, payload = self.buffer[3], self.buffer[9 : 9 + length]
            if kind == 0x1:
                self.answered.add(int.from_bytes(self.buffer[5:9], "big") & 2**31 - 1)
            self.buffer = self.buffer[9 + length :]
            if kind == 0x7:  # GOAWAY: last stream id, then the error code
                return f"goaway {ErrorCodes(int.from_bytes(payload[4:8], 'big')).name}"
        return None


def sent_reading(tls: ssl.SSLSocket, payloads: Iterable[bytes]) -> tuple[int, str]:
    """Send each payload, reading what comes back between sends (a client that
    reads), until the server ends the connection: the payloads sent, and how it
    ended ("goaway <code>", "closed" or "still open")."""
    sent, watch = 0, GoawayWatch()
    tls.settimeout(10)
    with suppress(*CLOSED):
        for payload in payloads:
            tls.sendall(payload)
            sent += 1
            while tls.pending() or select.select([tls], [], [], 0)[0]:
                data = tls.recv(65536)
                ended = watch.feed(data) if data else "closed"
                if ended:
                    return sent, ended
        while data := tls.recv(65536):
            if ended := watch.feed(data):
                return sent, ended
        return sent, "closed"
    return sent, "closed"


def still_serving(server: Server, certificates: Certificates) -> None:
    with httpx.Client(http2=True, verify=certificates.client_context()) as client:
        reply = client.get(server.base("native") + "/hello")
    assert (reply.http_version, reply.text) == ("HTTP/2", HELLO)
    assert "Traceback" not in server.output()


def test_rapid_reset_cve_2023_44487(
    https_server: Server, certificates: Certificates
) -> None:
    with h2_client(https_server, certificates) as (tls, conn):
        with suppress(*CLOSED):  # closed past the budget, its GOAWAY sent before
            for _ in range(3000):
                stream = conn.get_next_available_stream_id()
                conn.send_headers(stream, _request("/native/busy?seconds=5"))
                conn.reset_stream(stream)
                tls.sendall(conn.data_to_send())
        assert ending(tls, conn) == "goaway ENHANCE_YOUR_CALM"
    still_serving(https_server, certificates)


def test_reset_flood_cve_2019_9514(
    https_server: Server, certificates: Certificates
) -> None:
    # DATA on a stream the client has ended: h2 resets the stream while Twisted is
    # still answering it (stock Twisted 26.10: a traceback, then silence).
    with h2_client(https_server, certificates, receive_buffer=None) as (tls, conn):

        def requests() -> Iterator[bytes]:
            # Raw frames: the client's state would hold it to the server's 100
            # streams, which it now reads.
            block = conn.encoder.encode(_request("/native/hello"))
            for stream in range(1, 6001, 2):
                flags = ["END_HEADERS", "END_STREAM"]
                headers = HeadersFrame(stream, data=block, flags=flags)
                yield headers.serialize() + DataFrame(stream, data=b"x").serialize()

        assert sent_reading(tls, requests())[1] == "goaway ENHANCE_YOUR_CALM"
    still_serving(https_server, certificates)


def test_reset_flood_on_a_reset_stream(
    https_server: Server, certificates: Certificates
) -> None:
    # DATA on a stream the client reset: h2 answers each with RST_STREAM, which a
    # client that reads nothing leaves piling up: closed past Twisted's buffer cap.
    with h2_client(https_server, certificates) as (tls, conn):
        conn.send_headers(1, _request("/native/hello"), end_stream=True)
        conn.reset_stream(1)
        tls.sendall(conn.data_to_send())
        sent = flood(tls, DataFrame(1, data=b"x").serialize() * 1000, 1000)
        assert sent < SENT_AT_MOST
        assert ending(tls, conn) == "closed"
    still_serving(https_server, certificates)


def test_continuation_flood(https_server: Server, certificates: Certificates) -> None:
    with h2_client(https_server, certificates) as (tls, conn):
        block = conn.encoder.encode(_request("/native/hello"))
        tls.sendall(HeadersFrame(1, data=block, flags=["END_STREAM"]).serialize())
        more = ContinuationFrame(1, data=conn.encoder.encode([("x-a", "b" * 100)]))
        sent = 0
        while sent < 10_000:  # h2 keeps a backlog of 64 at most
            tls.sendall(more.serialize() * 100)
            sent += 100
            if select.select([tls], [], [], 0.01)[0]:
                break  # the server has answered: its GOAWAY
        assert ending(tls, conn) == "goaway PROTOCOL_ERROR"
        assert sent < 1_000
    still_serving(https_server, certificates)


def test_ping_flood_cve_2019_9512(
    https_server: Server, certificates: Certificates
) -> None:
    with h2_client(https_server, certificates) as (tls, conn):
        ping = PingFrame(0, opaque_data=b"12345678").serialize()
        sent = flood(tls, ping * 1000, 1000)  # never reading the answers
        assert sent < SENT_AT_MOST
        assert ending(tls, conn) == "closed"
    still_serving(https_server, certificates)


def test_settings_flood_cve_2019_9515(
    https_server: Server, certificates: Certificates
) -> None:
    with h2_client(https_server, certificates) as (tls, conn):
        settings = SettingsFrame(0, settings={4: 65535}).serialize()
        sent = flood(tls, settings * 1000, 1000)
        assert sent < SENT_AT_MOST
        assert ending(tls, conn) == "closed"
    still_serving(https_server, certificates)


def _settled(tls: ssl.SSLSocket, conn: h2.connection.H2Connection) -> None:
    """Read the server's SETTINGS (both of them) and acknowledge them."""
    deadline = time.monotonic() + 10
    while conn.remote_settings.max_header_list_size != 32768:
        assert time.monotonic() < deadline, "the server announced no header limit"
        conn.receive_data(tls.recv(65536))
        tls.sendall(conn.data_to_send())


def test_header_block_limit_and_open_streams(
    https_server: Server, certificates: Certificates
) -> None:
    with h2_client(https_server, certificates) as (tls, conn):
        _settled(tls, conn)
        assert conn.remote_settings.max_concurrent_streams == 100
        # Under the limit: answered. Over it (32 KiB, as --max-header-bytes): GOAWAY.
        conn.send_headers(
            1, [*_request("/native/hello"), ("x-big", "y" * 20_000)], end_stream=True
        )
        tls.sendall(conn.data_to_send())
        answered = False
        while not answered:
            for event in conn.receive_data(tls.recv(65536)):
                answered = answered or isinstance(event, h2.events.StreamEnded)
        conn.send_headers(
            3, [*_request("/native/hello"), ("x-big", "y" * 40_000)], end_stream=True
        )
        tls.sendall(conn.data_to_send())
        assert ending(tls, conn).startswith("goaway")
    still_serving(https_server, certificates)


def _peer_port(tls: ssl.SSLSocket) -> int:
    return int(tls.getsockname()[1])


def _calm_lines(server: Server, tls: ssl.SSLSocket) -> list[str]:
    """The log's lines about this client's connection being ended for its floods."""
    peer = f"127.0.0.1:{_peer_port(tls)}:"
    return [
        line
        for line in server.output().splitlines()
        if peer in line and "ENHANCE_YOUR_CALM" in line
    ]


@pytest.mark.parametrize("mount", ["native", "klein", "wsgi", "asgi"])
def test_rapid_reset_answers_nothing_and_logs_one_line(
    https_server: Server, certificates: Certificates, mount: str
) -> None:
    # HEADERS then RST_STREAM in one read: h2 has closed the stream before the
    # request is handled. Answered, it wrote to a stream h2 had forgotten
    # (StreamIDTooLowError, a traceback or two a connection, on main).
    with h2_client(https_server, certificates) as (tls, conn):
        for _ in range(1200):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, _request(f"/{mount}/hello"), end_stream=True)
            conn.reset_stream(stream)
        tls.sendall(conn.data_to_send())
        answers: list[h2.events.Event] = []
        ended = "still open"
        while ended == "still open":
            data = tls.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                answers += (
                    [event] if isinstance(event, h2.events.ResponseReceived) else []
                )
                if isinstance(event, h2.events.ConnectionTerminated):
                    ended = f"goaway {ErrorCodes(event.error_code).name}"
        assert ended == "goaway ENHANCE_YOUR_CALM"
        assert answers == []  # nothing answered to a reset stream
        time.sleep(0.2)  # the log line is written in the same turn; let it out
        lines = _calm_lines(https_server, tls)
    assert len(lines) == 1, lines
    assert "too many stream resets" in lines[0]
    still_serving(https_server, certificates)


def test_invalid_preface_is_a_prompt_protocol_error(
    https_server: Server, certificates: Certificates
) -> None:
    # RFC 9113 section 3.4: an invalid preface is a connection error of type
    # PROTOCOL_ERROR. On main the server sent SETTINGS and waited (15 s and more).
    with alpn_h2(https_server, certificates, receive_buffer=None) as tls:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()  # its own state only: nothing of it is sent
        started = time.monotonic()
        tls.sendall(b"GET /native/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert ending(tls, conn) == "goaway PROTOCOL_ERROR"
        assert tls.recv(65536) == b""  # and closed
        assert time.monotonic() - started < 3  # the idle timeout is 15 s
    still_serving(https_server, certificates)


STRAY_FRAMES = {
    "rst-stream": RstStreamFrame(1),
    "window-update": WindowUpdateFrame(1, window_increment=1),
    "data": DataFrame(1, data=b"x"),
}


@pytest.mark.parametrize("kind", list(STRAY_FRAMES))
def test_frames_on_a_closed_stream_are_counted(
    https_server: Server, certificates: Certificates, kind: str
) -> None:
    # Stream 1 answered and closed; then frames on it, which h2 drops without a
    # word (or answers with RST_STREAM). On main: a million taken, no reply. The
    # client reads, with the system's buffer (with a small one, h2's RST_STREAMs to
    # DATA pile up in the server, which cuts the connection: the other bound).
    with h2_client(https_server, certificates, receive_buffer=None) as (tls, conn):
        conn.send_headers(1, _request("/native/hello"), end_stream=True)
        tls.sendall(conn.data_to_send())
        closed = False
        while not closed:
            for event in conn.receive_data(tls.recv(65536)):
                closed = closed or isinstance(event, h2.events.StreamEnded)
        tls.sendall(conn.data_to_send())
        thousand = STRAY_FRAMES[kind].serialize() * 1000
        sent, ended = sent_reading(tls, repeat(thousand, SENT_AT_MOST // 1000))
        assert ended == "goaway ENHANCE_YOUR_CALM"
        assert sent < SENT_AT_MOST // 1000  # what the kernel took before the GOAWAY
        time.sleep(0.2)
        lines = _calm_lines(https_server, tls)
    assert len(lines) == 1, lines
    assert "too many frames on closed streams" in lines[0]
    still_serving(https_server, certificates)


def test_made_you_reset_window_update_of_zero(
    https_server: Server, certificates: Certificates
) -> None:
    # CVE-2025-8671's first vector: h2 refuses a WINDOW_UPDATE of 0 as a connection
    # error at once (RFC 9113 section 6.9 allows a stream error), so no stream is
    # reset for it and nothing goes on working behind a reset stream.
    with h2_client(https_server, certificates) as (tls, conn):
        conn.send_headers(1, _request("/native/busy?seconds=2"), end_stream=True)
        tls.sendall(
            conn.data_to_send() + WindowUpdateFrame(1, window_increment=0).serialize()
        )
        assert ending(tls, conn) == "goaway PROTOCOL_ERROR"
    still_serving(https_server, certificates)


def test_many_streams_on_one_connection_are_not_cut(
    https_server: Server, certificates: Certificates
) -> None:
    # More streams than the reset budget (1000), 50 at a time, one in ten a POST
    # with a body, each answered and closed, its data acknowledged: a legitimate
    # client spends none of it.
    with h2_client(https_server, certificates, receive_buffer=None) as (tls, conn):
        statuses: list[bytes] = []
        for _ in range(30):
            open_streams = set()
            for index in range(50):
                stream = conn.get_next_available_stream_id()
                open_streams.add(stream)
                if index % 10:
                    conn.send_headers(
                        stream, _request("/native/hello"), end_stream=True
                    )
                    continue
                posted = [(":method", "POST"), *_request("/native/form")[1:]]
                form = [("content-type", "application/x-www-form-urlencoded")]
                conn.send_headers(stream, posted + form)
                conn.send_data(stream, b"form-field=" + b"x" * 5000, end_stream=True)
            tls.sendall(conn.data_to_send())
            while open_streams:
                for event in conn.receive_data(tls.recv(65536)):
                    if isinstance(event, h2.events.ResponseReceived):
                        statuses.append(dict(event.headers)[b":status"])
                    elif isinstance(event, h2.events.DataReceived):
                        length = event.flow_controlled_length
                        conn.acknowledge_received_data(length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        open_streams.discard(event.stream_id)
                    assert not isinstance(event, h2.events.ConnectionTerminated)
                tls.sendall(conn.data_to_send())
        assert _calm_lines(https_server, tls) == []
    assert statuses == [b"200"] * 1500
    still_serving(https_server, certificates)
