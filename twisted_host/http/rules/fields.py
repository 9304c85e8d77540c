"""The rules of the header fields: their form, their number and size, the framing
fields, Host, Expect, and which names reach a WSGI app."""

from __future__ import annotations

import re
from functools import lru_cache

from core.settings import Settings
from twisted_host.http.rules.body import body_size
from twisted_host.http.rules.head import FIELD_LINE, MALFORMED, Head, Refusal

# host, host:port, [v6]:port: RFC 9110's uri-host is wider, but nothing else is a
# name a server here answers to, and a space or "/" in it is an attack.
_HOST = re.compile(
    rb"[A-Za-z0-9._~!$&'()*+,;=%-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)

FOLDED = Refusal("obs_fold", 400, "A header line is folded (obs-fold).")
CODINGS = Refusal("transfer_encoding", 400, "Transfer-Encoding must be chunked, alone.")


def field_line(line: bytes) -> Refusal | None:
    """400 for a header line that is not `name: value` (RFC 9110 section 5.5: no
    control byte but HTAB), or that continues the line before it (obs-fold)."""
    if line[:1] in (b" ", b"\t"):
        # RFC 9112 section 5.2: a server MUST reject obs-fold with 400 or replace
        # it with SP; llhttp and uvicorn reject it (h11 and Twisted's parser join
        # the lines): one behaviour on both parsers, the stricter.
        return FOLDED
    if not FIELD_LINE.fullmatch(line):
        return Refusal("field_line", 400, "A header field is malformed.")
    return None


def header_block(count: int, size: int, limits: Settings) -> Refusal | None:
    """431 once a head holds over `max_headers` fields or `max_header_bytes` bytes."""
    if size > limits.max_header_bytes:
        detail = f"The headers are over {limits.max_header_bytes} bytes."
        return Refusal("header_block", 431, detail)
    if count > limits.max_headers:
        return Refusal(
            "header_block", 431, f"There are over {limits.max_headers} headers."
        )
    return None


def header_line_length(limits: Settings) -> Refusal:
    """431 for one header line longer than the parser reads (Twisted's line limit)."""
    detail = f"A header is over {limits.max_header_bytes} bytes."
    return Refusal("header_block", 431, detail)


def transfer_encoding(value: bytes, seen: bool) -> Refusal | None:
    """RFC 9112 section 6.3: unless chunked is the final coding, the body's length
    cannot be known; a server MUST answer 400 and close. As h11: one line, `chunked`
    in any case, only (Twisted ignored "identity", on any line, which lets a second
    request hide in the body)."""
    if seen or value.strip(b" \t").lower() != b"chunked":
        return CODINGS
    return None


def content_length(value: bytes, limits: Settings) -> Refusal | None:
    """400 for a length that is not digits (RFC 9112 section 6.3); 413 for one over
    `max_body_size`, before a byte of the body is read."""
    value = value.strip(b" \t")
    if not value.isdigit():
        return Refusal("content_length", 400, MALFORMED)
    if int(value) > limits.max_body_size:
        return body_size(int(value), limits)
    return None


def host(head: Head) -> Refusal | None:
    """RFC 9112 section 3.2: a server MUST answer 400 to an HTTP/1.1 request without
    Host, and to one with more than one Host or an invalid one."""
    hosts = head.values(b"host")
    if head.version == b"HTTP/1.1" and not hosts:
        return Refusal("host", 400, "An HTTP/1.1 request needs a Host header.")
    if hosts and (len(hosts) > 1 or not _valid_host(hosts[0])):
        return Refusal("host", 400, "The Host header is not one valid host.")
    return None


@lru_cache(maxsize=256)
def _valid_host(value: bytes) -> bool:
    return _HOST.fullmatch(value) is not None


def wsgi_passes(name: bytes) -> bool:
    """Whether a header reaches a WSGI app: not when its name holds "_". CGI maps "-"
    to "_", so `X_Auth_User` would reach it as the HTTP_X_AUTH_USER of an
    `X-Auth-User` that a proxy in front strips and sets itself (gunicorn drops such
    names, `header_map = "drop"`; nginx ignores them, `underscores_in_headers off`)."""
    return b"_" not in name


def expects_continue(version: bytes, expects: list[bytes]) -> bool:
    """RFC 9110 section 10.1.1: `Expect: 100-continue` (any of the request's Expect
    values) on HTTP/1.1 asks for a 100 before the body is sent; HTTP/1.0 clients
    get none."""
    if version != b"HTTP/1.1":
        return False
    return any(value.lower() == b"100-continue" for value in expects)
