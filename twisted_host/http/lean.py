"""What the C parser's channel saves per request on the answering side: a
connection's `isSecure` asked once, and the status line and headers written as one
piece. Its own module, so that `httptools_impl` holds the reading side only."""

from __future__ import annotations

from typing import Any

from twisted.web.http_headers import Headers

from twisted_host.http.channel import TwistbridgeChannel


class LeanChannel(TwistbridgeChannel):
    """A `TwistbridgeChannel` that answers with fewer calls per request."""

    _secure: bool | None = None

    def isSecure(self) -> bool:
        # Twisted adapts the transport to ISSLTransport (a zope lookup) on every call,
        # and the ASGI scope asks per request: a connection's answer never changes.
        if self._secure is None:
            self._secure = bool(super().isSecure())
        return self._secure

    def writeHeaders(
        self, version: bytes, code: bytes, reason: bytes, headers: Any
    ) -> None:
        # Twisted hands the transport a sequence of some twenty pieces, which it type
        # checks and counts one by one: one joined piece costs a fraction of that.
        if not isinstance(headers, Headers):
            super().writeHeaders(version, code, reason, headers)
            return
        lines = [b"%s %s %s\r\n" % (version, code, reason)]
        for name, values in headers.getAllRawHeaders():
            for value in values:
                lines.append(b"%s: %s\r\n" % (name, value))
        lines.append(b"\r\n")
        assert self.transport is not None
        self.transport.write(b"".join(lines))
