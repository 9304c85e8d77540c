"""Request headers in the order they arrived.

Twisted's `Headers` groups repeated names; the ASGI scope lists headers as received
(uvicorn passes them through in order). This is the one place that keeps that order:
the Site's own request class uses it, and so can any other Site that hosts the ASGI
bridge (`requestFactory = OrderedHeadersRequest`).
"""

from __future__ import annotations

from typing import Any

from twisted.web.http_headers import Headers, _nameEncoder
from twisted.web.server import Request


class ReceivedHeaders(Headers):
    """`Headers` that also list every raw header as received, names lower-cased."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[bytes, bytes]] = []

    def addRawHeader(self, name: str | bytes, value: str | bytes) -> None:
        raw_name = name.encode("latin-1") if isinstance(name, str) else name
        raw_value = value.encode("latin-1") if isinstance(value, str) else value
        self.received.append((raw_name.lower(), raw_value))
        super().addRawHeader(name, value)

    def add_parsed(self, headers: list[tuple[bytes, bytes]]) -> None:
        """Add headers a C parser has checked already (names are tokens, lower-cased;
        values hold no CR, LF or NUL): `addRawHeader` checks and cleans each again,
        a third of the cost of a small request's headers. The pairs are listed as
        they are, not copied: a request keeps its headers as long as it lives, a
        WebSocket's for the connection's life (900 bytes a connection)."""
        raw = self._rawHeaders
        encode = _nameEncoder.encode
        self.received.extend(headers)
        for name, value in headers:
            raw.setdefault(encode(name), []).append(value)


class OrderedHeadersRequest(Request):
    """A `Request` whose headers keep their order of arrival."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requestHeaders = ReceivedHeaders()


def received_headers(request: Request) -> list[tuple[bytes, bytes]]:
    """The request's headers as received; grouped by name under a plain `Request`."""
    headers = request.requestHeaders
    if isinstance(headers, ReceivedHeaders):
        return headers.received
    return [
        (name.lower(), value)
        for name, values in headers.getAllRawHeaders()
        for value in values
    ]
