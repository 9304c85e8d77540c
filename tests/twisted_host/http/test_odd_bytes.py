"""Bytes outside visible ASCII, where a client can put them: in the request target
they are refused with 400 (RFC 9112 section 3.2, as h11 and uvicorn do); in header
values and bodies they are data. Never a 5xx, never a traceback in the log.

Twisted let 0x7f-0xb0 through in the target, and decoded it as ASCII further on: a
folder redirect with "?\\xa0" was a 500 (`File._addSlash`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.mounts import UVICORN
from tests.client import exchange, parse
from tests.conftest import MOUNTS
from tests.servers import Server, run_server
from tests.twisted_host.http.judge import h11_verdict

ODD = [b"\x7f", b"\x80", b"\xa0", b"\xb0", b"\xc0", b"\xff"]
TARGETS = [
    b"/{m}/static/images?%s",
    b"/{m}/static/images%s",
    b"/{m}/static/%s/",
    b"/{m}/calendar/now?%s",
    b"/{m}/calendar/%s",
    b"/{m}/echo?q=%s",
    b"/{m}/busy?seconds=%s",
]
# Headers some mount reads (Twisted, Werkzeug, Starlette, the pages).
HEADERS = [
    b"Range: bytes=%s",
    b"If-Modified-Since: %s",
    b"If-None-Match: %s",
    b"If-Range: %s",
    b"Cookie: a=%s",
    b"Accept: %s",
    b"Accept-Encoding: %s",
    b"Accept-Language: %s",
    b"Connection: %s",
    b"Expect: %s",
    b"Forwarded: for=%s",
    b"X-Forwarded-For: %s",
    b"Authorization: Basic %s",
    b"Origin: %s",
    b"Content-Type: %s",
]


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory, parser: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"odd-{parser}")
    with run_server(
        "--no-access-log", "--http", parser, tmp_path=tmp, uvicorn=True
    ) as s:
        yield s
    site_log = s.output().split("ERROR:    Exception in ASGI application")[0]
    assert "Traceback" not in site_log and "Unhandled" not in site_log


def _send(server: Server, mount: str, raw: bytes) -> bytes:
    url = server.uvicorn_url if mount == UVICORN else server.url
    assert url is not None
    prefix = b"asgi" if mount == UVICORN else mount.encode()
    return exchange(url, raw.replace(b"{m}", prefix), timeout=5)


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("target", TARGETS, ids=[t.decode() for t in TARGETS])
def test_a_byte_outside_visible_ascii_in_the_target_is_400(
    odd: Server, mount: str, target: bytes
) -> None:
    for byte in ODD:
        raw = b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % (target % byte)
        assert not h11_verdict(raw).accepted
        reply = parse(_send(odd, mount, raw))
        assert reply.status == 400, byte
        if mount != UVICORN:
            assert reply.header("connection") == "close"


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize(
    "header", HEADERS, ids=[h.split(b":")[0].decode() for h in HEADERS]
)
@pytest.mark.parametrize(
    "path", [b"/{m}/static/hello.txt", b"/{m}/hello", b"/{m}/static/images"]
)
def test_odd_bytes_in_a_header_are_no_5xx(
    odd: Server, mount: str, header: bytes, path: bytes
) -> None:
    for byte in ODD:
        line = header % (b"a" + byte + b"b")
        raw = b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\nConnection: close\r\n\r\n" % (
            path,
            line,
        )
        answer = _send(odd, mount, raw)
        assert 200 <= int(answer[9:12]) < 500, (byte, answer[:200])


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("ctype", [b"application/x-www-form-urlencoded", b"text/\xc0"])
def test_odd_bytes_in_a_form_are_no_5xx(odd: Server, mount: str, ctype: bytes) -> None:
    for byte in ODD:
        body = b"form-field=" + byte + b"%" + byte + b"%C0%AF&" + byte + b"=1"
        raw = (
            b"POST /{m}/form HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (ctype, len(body), body)
        )
        answer = _send(odd, mount, raw)
        assert int(answer[9:12]) in (200, 400), (byte, answer[:200])


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("byte", [b"\x01", b"\x0b", b"\x1f", b"\x7f"])
def test_a_control_byte_in_a_header_value_is_400(
    odd: Server, mount: str, byte: bytes
) -> None:
    # RFC 9110 section 5.5: no control byte but HTAB in a field value; Twisted
    # refused NUL, CR and LF only. h11 refuses only those it reads as whitespace
    # (\x0b, \x0c); uvicorn (httptools) refuses them all, as the Site now does.
    raw = b"GET /{m}/hello HTTP/1.1\r\nHost: x\r\nX-A: a%sb\r\n\r\n" % byte
    reply = parse(_send(odd, mount, raw))
    assert reply.status == 400
    if mount != UVICORN:
        assert reply.header("connection") == "close"


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize(
    "path",
    [b"/{m}/static/%FF%FE", b"/{m}/static/doc/%C0%AF", b"/{m}/static/images/%80"],
)
def test_a_name_that_is_no_utf8_is_404(odd: Server, mount: str, path: bytes) -> None:
    # No file has such a name. Twisted's `File` answered 404 too, but logged the
    # client's bytes as an error with a traceback (the fixture reads the log).
    raw = b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path
    assert parse(_send(odd, mount, raw)).status == 404
