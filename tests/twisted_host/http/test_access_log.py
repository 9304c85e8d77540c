"""The cheap access-log line is Twisted's combined log line, byte for byte."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.web.http import combinedLogFormatter
from twisted.web.test.requesthelper import DummyRequest

from twisted_host.http.access_log import combined_line

fields = st.one_of(
    st.binary(max_size=40), st.sampled_from([b"", b"curl/8", b'a"b', b"\\"])
)
addresses = st.sampled_from(
    [
        IPv4Address("TCP", "127.0.0.1", 1),
        IPv6Address("TCP", "::1", 2),
        UNIXAddress(b"/s"),
    ]
)


@given(
    method=fields,
    uri=fields,
    proto=fields,
    referrer=fields,
    agent=fields,
    code=st.integers(100, 599),
    length=st.integers(0, 10**9),
    address=addresses,
)
def test_same_line_as_twisted(
    method: bytes,
    uri: bytes,
    proto: bytes,
    referrer: bytes,
    agent: bytes,
    code: int,
    length: int,
    address: object,
) -> None:
    request = DummyRequest([b""])
    request.method, request.uri, request.clientproto = method, uri, proto
    request.code, request.sentLength = code, length
    request.client = address
    if referrer:
        request.requestHeaders.addRawHeader(b"referer", referrer)
    if agent:
        request.requestHeaders.addRawHeader(b"user-agent", agent)
    stamp = "[24/Nov/2026:07:00:00 +0000]"
    assert combined_line(stamp, request) == combinedLogFormatter(stamp, request)
