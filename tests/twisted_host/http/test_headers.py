"""Headers a C parser checked, stored in one step, read back as Twisted stores them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from twisted_host.http.headers import ReceivedHeaders

TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
names = st.one_of(
    st.sampled_from([b"Host", b"host", b"HOST", b"Content-Type", b"x-a", b"X-A"]),
    st.text(TOKEN, min_size=1, max_size=12).map(str.encode),
)
# What llhttp lets through in a value: no CR, LF or NUL; blanks trimmed by then.
values = st.binary(max_size=20).map(
    lambda v: v.translate(None, b"\r\n\x00").strip(b" \t")
)


@given(st.lists(st.tuples(names, values), max_size=8))
def test_add_parsed_is_add_raw_header(headers: list[tuple[bytes, bytes]]) -> None:
    one_by_one, at_once = ReceivedHeaders(), ReceivedHeaders()
    for name, value in headers:
        one_by_one.addRawHeader(name, value)
    at_once.add_parsed([(name.lower(), value) for name, value in headers])  # as read
    assert list(at_once.getAllRawHeaders()) == list(one_by_one.getAllRawHeaders())
    assert at_once.received == one_by_one.received
