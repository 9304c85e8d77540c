"""The rules of the request line: its form, its length, the version, the target."""

from __future__ import annotations

import re

from core.settings import Settings
from twisted_host.http.rules.head import MALFORMED, Refusal

_VISIBLE = re.compile(rb"[\x21-\x7e]+")
_VERSIONS = frozenset({b"HTTP/1.1", b"HTTP/1.0"})  # 0.9 and 2.0 on a request line: 400
UNREADABLE = Refusal("request_form", 400, MALFORMED)


def request_form() -> Refusal:
    """400 for bytes the parser cannot read as a request (RFC 9112 section 2.2: a
    request line that is not three parts, a chunk size that is not hex, a
    Content-Length repeated with another value or beside Transfer-Encoding)."""
    return UNREADABLE


def request_line_length(length: int, limits: Settings) -> Refusal | None:
    """414 for a request line over `max_request_line` bytes (nginx's answer)."""
    if length > limits.max_request_line:
        detail = f"The request line is over {limits.max_request_line} bytes."
        return Refusal("request_line_length", 414, detail)
    return None


def version(value: bytes) -> Refusal | None:
    """HTTP/1.0 and HTTP/1.1 only on a request line."""
    if value not in _VERSIONS:
        return Refusal("version", 400, MALFORMED)
    return None


def target(method: bytes, value: bytes) -> Refusal | None:
    """400 for a target that is not visible ASCII, or not in origin, absolute or
    asterisk form (RFC 9112 section 3.2)."""
    if not _VISIBLE.fullmatch(value):
        # Twisted lets 0x7f-0xb0 through, which frameworks then fail to decode (h11
        # and uvicorn: 400).
        detail = "The request target has a byte outside visible ASCII."
        return Refusal("target", 400, detail)
    if value.startswith(b"/") or value.startswith((b"http://", b"https://")):
        return None
    if value == b"*" and method == b"OPTIONS":
        return None
    return Refusal("target", 400, "The request target is not a path.")
