"""The Site against h11, the strict HTTP/1.1 parser, on raw requests hypothesis builds
(framing headers, chunk syntax, odd bytes in targets, header values and ranges), on
every mount: where h11 refuses a request, the Site answers 400 and closes; where h11
accepts it, the Site answers as it does for the same request framed plainly (the
body h11 decoded, with a Content-Length).

Where the Site is stricter than h11 on purpose (RFC 9110 and 9112 let a recipient
refuse each, and each has served to smuggle requests): both Content-Length and
Transfer-Encoding, a control byte in a field value (checked: the Site answers 400
and closes); left out of the
alphabet: a Content-Length list ("5, 5") or repeated line, whitespace after a chunk
size, control bytes in a chunk extension (h11 skips extensions unread) and bare LF
line endings. docs/SECURITY.md lists them."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email.message import Message
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.client import Reply, parse
from tests.servers import Server, run_server
from tests.twisted_host.http.judge import h11_verdict

FORM = b"application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory, parser: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"differential-{parser}")
    args = ("--no-access-log", "--http", parser, "--uvicorn-port", "0")
    with run_server(*args, tmp_path=tmp) as s:
        yield s
    assert "Traceback" not in s.output() and "Unhandled" not in s.output()


odd_bytes = st.sampled_from([b"\x7f", b"\x80", b"\xa0", b"\xc0", b"\xff", b"\x00"])
mounts = st.sampled_from([b"/native", b"/wsgi", b"/asgi"])
paths = st.sampled_from(
    [b"/hello", b"/form", b"/static/hello.txt", b"/static/images/", b"/calendar/2013"]
)


@st.composite
def targets(draw: st.DrawFn) -> bytes:
    target = draw(mounts) + draw(paths)
    if draw(st.booleans()):
        target += b"?" + draw(st.sampled_from([b"a=1", b"%C0%AF", b"x", b""]))
    if draw(st.integers(0, 5)) == 0:  # now and then a byte h11 refuses
        spot = draw(st.integers(1, len(target)))
        target = target[:spot] + draw(odd_bytes) + target[spot:]
    return target


@st.composite
def chunked(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` in chunks, in the spellings RFC 9112 section 7.1 allows, and now and
    then one it does not."""
    out = b""
    rest = body
    while rest:
        size = draw(st.integers(1, len(rest)))
        piece, rest = rest[:size], rest[size:]
        digits = draw(st.sampled_from([b"%x", b"%X", b"00%x"])) % size
        ext = draw(st.sampled_from([b"", b"", b";a=b", b";a", b';a="b c"', b";a=b;c"]))
        out += digits + ext + b"\r\n" + piece + b"\r\n"
    out += draw(st.sampled_from([b"0", b"000"])) + b"\r\n"
    out += draw(st.sampled_from([b"", b"", b"X-Trailer: 1\r\n", b"X-T: a\xa0b\r\n"]))
    out += b"\r\n"
    if draw(st.integers(0, 4)) == 0:  # a broken chunk syntax
        spoil = draw(
            st.sampled_from(
                [
                    (b"0\r\n", b"zz\r\n"),
                    (b"\r\n", b"\r\nXX", 1),
                    (b"0\r\n", b"-0\r\n"),
                    (b"\r\n\r\n", b"\r\nbad trailer\r\n\r\n"),
                ]
            )
        )
        out = out.replace(spoil[0], spoil[1], *spoil[2:])
    return out


framings = st.sampled_from(
    [
        "length",
        "length",
        "chunked",
        "CHUNKED",
        "\tchunked",
        "chunked, identity",
        "identity",
        "identity+chunked",
        "chunked+chunked",
        "gzip, chunked",
        "chunked+length",
        "length+length",
        "bad length",
    ]
)
header_values = st.one_of(
    st.sampled_from([b"x", b"bytes=0-3", b"bytes=-99", b"bytes=5-1", b"a\xa0b", b""]),
    st.binary(max_size=6).map(lambda b: b"v" + b),
)
header_names = st.sampled_from([b"Range", b"Cookie", b"X-A", b"Accept", b"Bad Name"])


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """A request with a body, framed in one of many ways."""
    target = draw(targets())
    body = b"form-field=" + draw(st.sampled_from([b"a", b"%C3%A9", b"x" * 40]))
    framing = draw(framings)
    head = [b"POST " + target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    head += [b"Content-Type: " + FORM]
    for _ in range(draw(st.integers(0, 2))):
        head.append(draw(header_names) + b": " + draw(header_values))
    encoded = draw(chunked(body))
    if framing == "length":
        head.append(b"Content-Length: %d" % len(body))
        payload = body
    elif framing == "bad length":
        head.append(b"Content-Length: " + draw(st.sampled_from([b"-1", b"1_0", b"x"])))
        payload = body
    elif framing == "length+length":
        head += [b"Content-Length: %d" % len(body), b"Content-Length: 3"]
        payload = body
    elif framing == "chunked+length":
        head += [b"Transfer-Encoding: chunked", b"Content-Length: %d" % len(body)]
        payload = encoded
    elif "+" in framing:
        head += [b"Transfer-Encoding: " + f.encode() for f in framing.split("+")]
        payload = encoded
    else:
        head.append(b"Transfer-Encoding: " + framing.encode())
        payload = encoded
    return b"\r\n".join(head) + b"\r\n\r\n" + payload


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=requests())
def test_the_site_agrees_with_h11(judged: Server, raw: bytes) -> None:
    verdict = h11_verdict(raw)
    refused = not verdict.accepted or _refused_on_purpose(raw)
    answer, closed = _exchange(judged, raw, wait_for_close=refused)
    if refused:
        assert answer.status == 400, (verdict.why, answer.status)
        assert closed
        return
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    kept = [line for line in head if not _framing(line)]
    clean = b"\r\n".join([*kept, b"Content-Length: %d" % len(verdict.body)])
    expected, _ = _exchange(judged, clean + b"\r\n\r\n" + verdict.body)
    assert (answer.status, answer.body) == (expected.status, expected.body)
    assert answer.header("connection") != "close"  # not one of the edge's refusals


def _refused_on_purpose(raw: bytes) -> bool:
    """What h11 reads and the Site refuses, as the RFCs let it: both framings (RFC
    9112 section 6.3; h11 reads the chunks, nginx refuses too: the shape of most
    smuggling), and a control byte in a field value (RFC 9110 section 5.5; h11
    takes all but the ones it reads as whitespace, uvicorn none)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    both = b"\r\ncontent-length:" in head.lower() and (
        b"\r\ntransfer-encoding:" in head.lower()
    )
    fields = head.split(b"\r\n")[1:]
    return both or any(_CONTROL.search(field) for field in fields)


_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _framing(line: bytes) -> bool:
    name = line.partition(b":")[0].lower()
    return name in (b"content-length", b"transfer-encoding")


def _exchange(
    server: Server, raw: bytes, *, wait_for_close: bool = False
) -> tuple[Reply, bool]:
    """The first answer, and (when asked) whether the server closed the connection
    after it."""
    port = urlsplit(server.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        data = b""
        while (reply := _complete(data)) is None:
            chunk = sock.recv(65536)
            if not chunk:
                return (parse(data) if data else Reply(0, Message(), b"")), True
            data += chunk
        if not wait_for_close:
            return reply, False
        sock.settimeout(2)  # a refusal closes at once; only a failure waits this out
        try:
            closed = sock.recv(65536) == b""
        except TimeoutError:
            closed = False
        except ConnectionResetError:
            closed = True
    return reply, closed


def _complete(data: bytes) -> Reply | None:
    """The answer in `data` once all of it (Content-Length delimited) is there."""
    if b"\r\n\r\n" not in data:
        return None
    reply = parse(data)
    length = int(reply.header("content-length") or 0)
    body_start = data.index(b"\r\n\r\n") + 4
    return reply if len(data) - body_start >= length else None
