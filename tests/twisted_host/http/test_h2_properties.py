"""HTTP/2 frames, checked with hypothesis against a real server, with h2 as the
judge: any short sequence of client frames (well-formed ones, near-misses and
plain errors: streams out of order, frames on idle or closed streams, bad window
increments, odd settings, header blocks with uppercase or connection-specific
names) ends the same way on the Site as in h2's own server state machine fed the
same bytes: the same GOAWAY error code for a connection error, else a connection
that still answers a PING. And never a traceback in the log."""

from __future__ import annotations

import select
import ssl
import time
from collections.abc import Iterator
from contextlib import suppress

import h2.config
import h2.connection
import h2.exceptions
import pytest
from h2.events import RequestReceived
from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    HeadersFrame,
    PingFrame,
    PriorityFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers import Certificates, Server
from tests.twisted_host.conftest import serve_https
from tests.twisted_host.http.h2_raw import CLOSED, GoawayWatch, alpn_h2

h2_edge = pytest.fixture(scope="module")(serve_https)
LIVENESS = b"liveness"  # the last PING's opaque data


@pytest.fixture(scope="module")
def edge(h2_edge: Server) -> Iterator[Server]:
    yield h2_edge
    assert "Traceback" not in h2_edge.output() and "Unhandled" not in h2_edge.output()


# Client streams in and out of order, and an even one (the server's to open).
streams = st.sampled_from([1, 1, 1, 3, 3, 5, 2])
request_headers = st.lists(
    st.sampled_from(
        [
            (":method", "GET"),
            (":method", "POST"),
            (":path", "/native/hello"),
            (":path", "/asgi/echo"),
            (":path", ""),
            (":scheme", "https"),
            (":authority", "127.0.0.1"),
            (":status", "200"),
            ("x-a", "b"),
            ("X-Upper", "b"),
            ("connection", "keep-alive"),
            ("te", "trailers"),
            ("te", "gzip"),
            ("content-length", "3"),
            ("host", "127.0.0.1"),
        ]
    ),
    max_size=8,
)
REQUEST = [
    (":method", "GET"),
    (":path", "/native/hello"),
    (":scheme", "https"),
    (":authority", "127.0.0.1"),
]
PROBE = 101  # the stream of the request after the frames
whole_request = st.just(REQUEST)


@st.composite
def frames(draw: st.DrawFn) -> list[tuple[str, object]]:
    """Frames as (kind, arguments): a header block is encoded once, in order."""
    kinds = st.one_of(
        st.tuples(
            st.just("headers"),
            st.tuples(
                streams,
                st.one_of(whole_request, request_headers),
                st.booleans(),  # END_STREAM
                st.sampled_from([True, True, True, False]),  # END_HEADERS
            ),
        ),
        st.tuples(st.just("continuation"), st.tuples(streams, request_headers)),
        st.tuples(
            st.just("data"), st.tuples(streams, st.binary(max_size=8), st.booleans())
        ),
        st.tuples(st.just("rst"), st.tuples(streams, st.sampled_from([0, 1, 8, 99]))),
        st.tuples(
            st.just("window"),
            st.tuples(streams, st.sampled_from([1, 100, 65535, 2**31 - 1])),
        ),
        st.tuples(st.just("priority"), st.tuples(streams, streams)),
        st.tuples(st.just("ping"), st.tuples(st.just(0))),
        st.tuples(
            st.just("settings"),
            st.tuples(
                st.dictionaries(
                    st.sampled_from([1, 2, 3, 4, 5, 6, 8, 99]),
                    st.sampled_from([0, 1, 100, 16384, 65535, 2**31]),
                    max_size=2,
                )
            ),
        ),
    )
    return draw(st.lists(kinds, min_size=1, max_size=8))


def _encode(sequence: list[tuple[str, object]]) -> bytes:
    """The frames, then a request on stream PROBE (which a connection still in
    order answers), with the same header compression state."""
    encoder = Encoder()
    out: list[Frame] = []
    for kind, arguments in sequence:
        args: tuple = arguments  # type: ignore[type-arg, assignment]
        if kind == "headers":
            stream, headers, end_stream, end_headers = args
            flags = ["END_STREAM"] * end_stream + ["END_HEADERS"] * end_headers
            out.append(HeadersFrame(stream, data=encoder.encode(headers), flags=flags))
        elif kind == "continuation":
            stream, headers = args
            block = encoder.encode(headers)
            out.append(ContinuationFrame(stream, data=block, flags=["END_HEADERS"]))
        elif kind == "data":
            stream, data, end_stream = args
            out.append(DataFrame(stream, data=data, flags=["END_STREAM"] * end_stream))
        elif kind == "rst":
            out.append(RstStreamFrame(args[0], error_code=args[1]))
        elif kind == "window":
            out.append(WindowUpdateFrame(args[0], window_increment=args[1]))
        elif kind == "priority":
            out.append(PriorityFrame(args[0], depends_on=args[1], stream_weight=15))
        elif kind == "ping":
            out.append(PingFrame(args[0], opaque_data=b"12345678"))
        else:
            out.append(SettingsFrame(0, settings=args[0]))
    probe = encoder.encode(REQUEST)
    out.append(HeadersFrame(PROBE, data=probe, flags=["END_STREAM", "END_HEADERS"]))
    return b"".join(frame.serialize() for frame in out)


def _preface() -> bytes:
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    return client.data_to_send()


def judged(data: bytes) -> str:
    """How h2's own server ends after `data`: "goaway <code>", "answers" (the
    probe's request received) or "alive"."""
    config = h2.config.H2Configuration(client_side=False, header_encoding=None)
    server = h2.connection.H2Connection(config)
    server.initiate_connection()
    server.data_to_send()
    try:
        events = server.receive_data(data)
    except h2.exceptions.ProtocolError:
        ended = GoawayWatch().feed(server.data_to_send())
        return ended or "closed"
    received = {e.stream_id for e in events if isinstance(e, RequestReceived)}
    return "answers" if PROBE in received else "alive"


def answered(server: Server, certificates: Certificates, data: bytes) -> str:
    """How the Site ends after `data` and a PING: "goaway <code>", "closed",
    "answers" (the probe's request answered) or "alive" (the PING only)."""
    ping = PingFrame(0, opaque_data=LIVENESS).serialize()
    with alpn_h2(server, certificates, receive_buffer=None) as tls:
        with suppress(*CLOSED):  # ended before all of it went: its GOAWAY waits
            tls.sendall(data + ping)
        watch, buffer, pinged = GoawayWatch(), b"", None
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            if pinged is not None and time.monotonic() - pinged > 1:
                return "alive"  # and the probe not answered a second later
            if not (tls.pending() or select.select([tls], [], [], 0.2)[0]):
                continue
            try:
                chunk = tls.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                return "closed"
            if not chunk:
                return "closed"
            if ended := watch.feed(chunk):
                return ended
            buffer += chunk
            if PROBE in watch.answered:
                return "answers"
            if LIVENESS in buffer and pinged is None:  # the PING's ACK
                pinged = time.monotonic()
    return "hang"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=frames())
def test_frames_end_as_h2_says(
    edge: Server, certificates: Certificates, sequence: list[tuple[str, object]]
) -> None:
    data = _preface() + _encode(sequence)
    assert answered(edge, certificates, data) == judged(data + PingFrame(0).serialize())
