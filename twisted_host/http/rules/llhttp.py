"""llhttp's parse errors as the rules they break (the C parser checks some rules
itself, and says which only in its message)."""

from __future__ import annotations

from twisted_host.http.rules.body import FRAMING_TRAILER, MALFORMED_TRAILER
from twisted_host.http.rules.fields import CODINGS, FOLDED
from twisted_host.http.rules.head import Refusal
from twisted_host.http.rules.request_line import UNREADABLE


def llhttp_refusal(error: str, in_trailer: bool) -> Refusal:
    """The rule that llhttp's parse error (its message) breaks."""
    if in_trailer:
        if "Transfer-Encoding" in error or "Content-Length" in error:
            return FRAMING_TRAILER
        return MALFORMED_TRAILER
    if error == "Invalid `Transfer-Encoding` header value":
        return CODINGS  # a coding after chunked: llhttp stops there, unreported
    if error == "Unexpected whitespace after header value":
        return FOLDED  # a line that starts with a blank: obs-fold
    return UNREADABLE
