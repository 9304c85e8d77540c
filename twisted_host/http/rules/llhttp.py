"""llhttp's parse errors as the rules they break (the C parser checks some rules
itself, and says which only in its message)."""

from __future__ import annotations

from twisted_host.http.rules.head import MALFORMED, Refusal


def llhttp_refusal(error: str, in_trailer: bool) -> Refusal:
    """The rule that llhttp's parse error (its message) breaks."""
    if in_trailer:
        if "Transfer-Encoding" in error or "Content-Length" in error:
            return Refusal("trailer_framing", 400, "A trailer carries a framing field.")
        return Refusal("trailer_field", 400, "A trailer field is malformed.")
    if error == "Invalid `Transfer-Encoding` header value":
        # A coding after chunked: llhttp stops there, unreported to on_header.
        return Refusal(
            "transfer_encoding", 400, "Transfer-Encoding must be chunked, alone."
        )
    if error == "Unexpected whitespace after header value":
        return Refusal("obs_fold", 400, "A header line is folded (obs-fold).")
    return Refusal("request_form", 400, MALFORMED)
