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
from collections.abc import Iterator
from contextlib import contextmanager

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
    SettingsFrame,
)

from core.content import HELLO
from tests.servers import Certificates, Server
from tests.twisted_host.conftest import serve_https

SENT_AT_MOST = 1_000_000  # frames a flood may send before the test gives up

https_server = pytest.fixture(scope="module")(serve_https)  # the floods' own server


@contextmanager
def h2_client(
    server: Server, certificates: Certificates
) -> Iterator[tuple[ssl.SSLSocket, h2.connection.H2Connection]]:
    """A TLS connection that negotiated h2, with a small receive buffer (a client
    that reads nothing fills the server's buffers sooner)."""
    host, port = server.url.removeprefix("https://").rstrip("/").split(":")
    context = certificates.client_context()
    context.set_alpn_protocols(["h2"])
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(10)
    raw.connect((host, int(port)))
    with context.wrap_socket(raw, server_hostname=host) as tls:
        assert tls.selected_alpn_protocol() == "h2"
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
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
        pass
    return sent


def still_serving(server: Server, certificates: Certificates) -> None:
    with httpx.Client(http2=True, verify=certificates.client_context()) as client:
        reply = client.get(server.base("native") + "/hello")
    assert (reply.http_version, reply.text) == ("HTTP/2", HELLO)
    assert "Traceback" not in server.output()


def test_rapid_reset_cve_2023_44487(
    https_server: Server, certificates: Certificates
) -> None:
    with h2_client(https_server, certificates) as (tls, conn):
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
    with h2_client(https_server, certificates) as (tls, conn):
        for _ in range(3000):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, _request("/native/hello"), end_stream=True)
            tls.sendall(conn.data_to_send() + DataFrame(stream, data=b"x").serialize())
        assert ending(tls, conn) == "goaway ENHANCE_YOUR_CALM"
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
