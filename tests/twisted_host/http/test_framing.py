"""Body framing (RFC 9112 section 6): a Transfer-Encoding other than one final
`chunked` is refused with 400 and a closed connection, so that no second request
hides in a body; the legitimate spellings of chunked bodies are read on every mount.
Judged by h11 and by uvicorn on the same bytes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from core.mounts import UVICORN
from tests.client import exchange, parse
from tests.servers import Server, run_server
from tests.twisted_host.http.judge import h11_verdict

TARGETS = ["native", "wsgi", "asgi", "klein", UVICORN]
FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"
CHUNKED_BODY = b"e\r\nform-field=abc\r\n0\r\n\r\n"
# What a front proxy that honours the header would not see: a second request.
SMUGGLED = b"GET /asgi/hello HTTP/1.1\r\nHost: x\r\n\r\n"

REFUSED = {
    "identity": b"Transfer-Encoding: identity\r\n\r\n" + SMUGGLED,
    "identity in capitals, with a length": (
        b"Transfer-Encoding: IDENTITY\r\nContent-Length: 14\r\n\r\nform-field=abc"
    ),
    "chunked, then identity on a second line": (
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
        + CHUNKED_BODY
        + SMUGGLED
    ),
    "chunked, identity": b"Transfer-Encoding: chunked, identity\r\n\r\n" + CHUNKED_BODY,
    "chunked twice": (
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
        + CHUNKED_BODY
    ),
    "identity, then chunked": (
        b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n"
        + CHUNKED_BODY
    ),
}
# RFC 9112 section 7.1.2: a trailer section is field lines; Twisted kept any line.
BAD_TRAILERS = {
    "a trailer line that is no field": (
        b"Transfer-Encoding: chunked\r\n\r\ne\r\nform-field=abc\r\n0\r\nbad trailer\r\n\r\n"
    ),
    "a trailer with a NUL": (
        b"Transfer-Encoding: chunked\r\n\r\ne\r\nform-field=abc\r\n0\r\nX-T: a\x00\r\n\r\n"
    ),
}

# uvicorn (httptools) skips a leading "identity" and reads the body as chunked, the
# final coding: framed right, though RFC 9112 section 6.1 asks for 501 on a coding
# the server does not know ("identity" is not one any more); h11 and the Site refuse.
UVICORN_LENIENT = {"identity, then chunked"}

ACCEPTED = {
    "chunked in capitals": b"Transfer-Encoding: CHUNKED\r\n\r\n" + CHUNKED_BODY,
    "a tab before chunked": b"Transfer-Encoding:\tchunked\r\n\r\n" + CHUNKED_BODY,
    "a chunk extension": (
        b"Transfer-Encoding: chunked\r\n\r\ne;a=b\r\nform-field=abc\r\n0\r\n\r\n"
    ),
    "chunk sizes with leading zeros": (
        b"Transfer-Encoding: chunked\r\n\r\n000e\r\nform-field=abc\r\n000\r\n\r\n"
    ),
    "a trailer field": (
        b"Transfer-Encoding: chunked\r\n\r\ne\r\nform-field=abc\r\n0\r\nX-T: 1\r\n\r\n"
    ),
}


@pytest.fixture(scope="module")
def framing(tmp_path_factory: pytest.TempPathFactory, parser: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"fr-{parser}")
    with run_server(
        "--no-access-log", "--http", parser, tmp_path=tmp, uvicorn=True
    ) as s:
        yield s
    assert "Traceback" not in s.output()  # the Site's log and uvicorn's


def _post(
    server: Server, target: str, head_and_body: bytes, timeout: float = 5
) -> tuple[bytes, bytes]:
    prefix = "asgi" if target == UVICORN else target
    url = server.uvicorn_url if target == UVICORN else server.url
    assert url is not None
    raw = b"POST /%s/form HTTP/1.1\r\nHost: x\r\n%s%s" % (
        prefix.encode(),
        FORM,
        head_and_body,
    )
    return raw, exchange(url, raw, timeout=timeout)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("shape", REFUSED, ids=list(REFUSED))
def test_transfer_encoding_not_chunked_alone_is_400_and_closed(
    framing: Server, target: str, shape: str
) -> None:
    lenient = target == UVICORN and shape in UVICORN_LENIENT
    # uvicorn keeps the connection it answered 200 on: read for a second, not five.
    raw, answer = _post(framing, target, REFUSED[shape], timeout=1 if lenient else 5)
    assert not h11_verdict(raw).accepted
    if lenient:
        assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"200"]
        return
    # One answer, 400, and the connection closed: nothing after it was read as a
    # request (exchange returns once the server closes).
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"400"]
    if target != UVICORN:
        reply = parse(answer)
        assert reply.header("connection") == "close"
        assert b"Transfer-Encoding must be chunked, alone." in reply.body


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("shape", BAD_TRAILERS, ids=list(BAD_TRAILERS))
def test_a_malformed_trailer_is_400_and_closed(
    framing: Server, target: str, shape: str
) -> None:
    raw, answer = _post(framing, target, BAD_TRAILERS[shape] + SMUGGLED)
    assert not h11_verdict(raw).accepted
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"400"]
    if target != UVICORN:
        assert b"A trailer field is malformed." in parse(answer).body


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("shape", ACCEPTED, ids=list(ACCEPTED))
def test_legitimate_chunked_bodies_are_read(
    framing: Server, target: str, shape: str
) -> None:
    raw, answer = _post(framing, target, b"Connection: close\r\n" + ACCEPTED[shape])
    judged = h11_verdict(raw)
    assert judged.accepted and judged.body == b"form-field=abc"
    reply = parse(answer)
    assert reply.status == 200
    assert b"You submitted: abc" in reply.body
