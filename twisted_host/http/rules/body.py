"""The rules of the body: its size, and its trailer section."""

from __future__ import annotations

from core.settings import Settings
from twisted_host.http.rules.head import FIELD_LINE, Refusal

# RFC 9110 section 6.5.1: fields a trailer section must not carry (framing).
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})
MALFORMED_TRAILER = Refusal("trailer_field", 400, "A trailer field is malformed.")
FRAMING_TRAILER = Refusal("trailer_framing", 400, "A trailer carries a framing field.")


def body_size(received: int, limits: Settings) -> Refusal | None:
    """413 for a body over `max_body_size` bytes (nginx's client_max_body_size)."""
    if received > limits.max_body_size:
        detail = f"The body is over {limits.max_body_size} bytes."
        return Refusal("body_size", 413, detail)
    return None


def trailer_field(line: bytes | bytearray) -> Refusal | None:
    """400 for a trailer line that is not a field (RFC 9112 section 7.1.2), or that
    carries a framing field (RFC 9110 section 6.5.1: a sender MUST NOT; llhttp and
    uvicorn answer 400)."""
    if not FIELD_LINE.fullmatch(line):
        return MALFORMED_TRAILER
    if bytes(line.partition(b":")[0].lower()) in _FRAMING:
        return FRAMING_TRAILER
    return None
