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
import ssl
import time
from collections.abc import Iterator
from contextlib import suppress

import h2.config
import h2.connection
import h2.events
import pytest
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    HeadersFrame,
    PingFrame,
    SettingsFrame,
)

from tests.servers import Certificates, Server
from tests.twisted_host.conftest import serve_https
from tests.twisted_host.http.h2_raw import (
    CLOSED,
    SENT_AT_MOST,
    ending,
    flood,
    h2_client,
    request,
    sent_reading,
    still_serving,
)

pytestmark = pytest.mark.long

https_server = pytest.fixture(scope="module")(serve_https)  # the floods' own server


def test_rapid_reset_cve_2023_44487(
    https_server: Server, certificates: Certificates
) -> None:
    with h2_client(https_server, certificates) as (tls, conn):
        with suppress(*CLOSED):  # closed past the budget, its GOAWAY sent before
            for _ in range(3000):
                stream = conn.get_next_available_stream_id()
                conn.send_headers(stream, request("/native/busy?seconds=5"))
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
            block = conn.encoder.encode(request("/native/hello"))
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
        conn.send_headers(1, request("/native/hello"), end_stream=True)
        conn.reset_stream(1)
        tls.sendall(conn.data_to_send())
        sent = flood(tls, DataFrame(1, data=b"x").serialize() * 1000, 1000)
        assert sent < SENT_AT_MOST
        assert ending(tls, conn) == "closed"
    still_serving(https_server, certificates)


def test_continuation_flood(https_server: Server, certificates: Certificates) -> None:
    with h2_client(https_server, certificates) as (tls, conn):
        block = conn.encoder.encode(request("/native/hello"))
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
            1, [*request("/native/hello"), ("x-big", "y" * 20_000)], end_stream=True
        )
        tls.sendall(conn.data_to_send())
        answered = False
        while not answered:
            for event in conn.receive_data(tls.recv(65536)):
                answered = answered or isinstance(event, h2.events.StreamEnded)
        conn.send_headers(
            3, [*request("/native/hello"), ("x-big", "y" * 40_000)], end_stream=True
        )
        tls.sendall(conn.data_to_send())
        assert ending(tls, conn).startswith("goaway")
    still_serving(https_server, certificates)
