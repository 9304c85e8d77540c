"""HTTP/2 clients that make a connection work for nothing, past the floods of
`test_h2_floods`: streams reset before they are answered (Rapid Reset), frames on
closed streams, streams the server resets (MadeYouReset), an invalid connection
preface. Each ends in GOAWAY and at most one line in the log, never a traceback
(`twisted_host.http.h2_guard`); a legitimate client with many streams is not cut.
"""

from __future__ import annotations

import ssl
import time
from itertools import repeat

import h2.config
import h2.connection
import h2.events
import pytest
from h2.errors import ErrorCodes
from hyperframe.frame import (
    DataFrame,
    RstStreamFrame,
    WindowUpdateFrame,
)

from tests.servers import Certificates, Server
from tests.twisted_host.conftest import serve_https
from tests.twisted_host.http.h2_raw import (
    SENT_AT_MOST,
    alpn_h2,
    ending,
    h2_client,
    request,
    sent_reading,
    still_serving,
)

https_server = pytest.fixture(scope="module")(serve_https)  # its own server


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


def _said_once(server: Server, tls: ssl.SSLSocket, words: str) -> None:
    """The log says why this client's connection was ended, in one line."""
    time.sleep(0.2)  # the log line is written in the same turn; let it out
    lines = _calm_lines(server, tls)
    assert len(lines) == 1, lines
    assert words in lines[0]


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
            conn.send_headers(stream, request(f"/{mount}/hello"), end_stream=True)
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
        _said_once(https_server, tls, "too many stream resets")
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
        conn.send_headers(1, request("/native/hello"), end_stream=True)
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
        _said_once(https_server, tls, "too many frames on closed streams")
    still_serving(https_server, certificates)


def test_made_you_reset_window_update_of_zero(
    https_server: Server, certificates: Certificates
) -> None:
    # CVE-2025-8671's first vector: h2 refuses a WINDOW_UPDATE of 0 as a connection
    # error at once (RFC 9113 section 6.9 allows a stream error), so no stream is
    # reset for it and nothing goes on working behind a reset stream.
    with h2_client(https_server, certificates) as (tls, conn):
        conn.send_headers(1, request("/native/busy?seconds=2"), end_stream=True)
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
                    conn.send_headers(stream, request("/native/hello"), end_stream=True)
                    continue
                posted = [(":method", "POST"), *request("/native/form")[1:]]
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


def test_a_clients_goaway_closes_the_connection(
    https_server: Server, certificates: Certificates
) -> None:
    # RFC 9113 section 6.8: GOAWAY "initiate[s] shutdown of a connection". On main
    # the Site forgot the connection but its socket stayed open, for good (a client
    # holding many such sockets held as many of the server's descriptors).
    with h2_client(https_server, certificates, receive_buffer=None) as (tls, conn):
        conn.close_connection()
        tls.sendall(conn.data_to_send())
        started = time.monotonic()
        tls.settimeout(10)
        while tls.recv(65536):
            pass  # its SETTINGS, then the end
        assert time.monotonic() - started < 3
    still_serving(https_server, certificates)
