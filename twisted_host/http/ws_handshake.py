"""RFC 6455's opening handshake over HTTP/1.1 (section 4.2), read from the request the
Site has already parsed, and its 101 answer; and the agreement on a subprotocol and
extensions, which RFC 8441's handshake over HTTP/2 shares.

wsproto's `H11Handshake` takes headers that are already parsed, serialises them into
a request, parses that again with h11, and writes its answer through h11 too: a third
of the CPU of opening a WebSocket (py-spy, 5,000 openings; uvicorn pays it as well).
The checks are wsproto's, made on the parsed request: `GET`, a `Connection` that
lists `upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Version: 13`, a
`Sec-WebSocket-Key`, a `Host` (where one header appears twice, the last counts, as in
wsproto). The answer's extra headers (an ASGI app's `websocket.accept`) are checked
as h11 checks them, so that none can split the response.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from twisted.web.server import Request
from wsproto.extensions import Extension
from wsproto.handshake import server_extensions_handshake
from wsproto.utilities import generate_accept_token

# RFC 9110 section 5.1 and 5.5: a field name is a token; a field value has no control
# character but tab, and no whitespace at either end.
_NAME = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(
    rb"(?:[\x21-\x7e\x80-\xff](?:[ \t\x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?"
)


def _last(request: Request, name: bytes) -> bytes | None:
    values = request.requestHeaders.getRawHeaders(name)
    return values[-1] if values else None


def tokens(request: Request, name: bytes) -> list[str]:
    """The comma-separated items of every `name` header (latin-1: no byte a client
    sends makes this raise, where wsproto's ASCII decoding does)."""
    values = request.requestHeaders.getRawHeaders(name) or []
    items = b",".join(values).decode("latin-1").split(",")
    return [item.strip() for item in items if item.strip()]


def upgrade_key(request: Request) -> bytes | None:
    """The client's `Sec-WebSocket-Key` when the request is a valid opening
    handshake, else None (the resource answers 400)."""
    key = _last(request, b"sec-websocket-key")
    upgrade = _last(request, b"upgrade") or b""
    connection = _last(request, b"connection")
    valid = (
        request.method == b"GET"
        and key is not None
        and upgrade.lower() == b"websocket"
        and _last(request, b"sec-websocket-version") == b"13"
        and connection is not None
        and any(t.strip().lower() == b"upgrade" for t in connection.split(b","))
        and request.requestHeaders.hasHeader(b"host")
    )
    return key if valid else None


def agree(request: Request, subprotocol: str | None, offered: list[Extension]) -> bytes:
    """The `Sec-WebSocket-Extensions` the server answers (b"": none) of those it
    offers that the client asked for; a subprotocol the client did not offer is the
    server's (the app's) mistake: ValueError, as wsproto raises."""
    if subprotocol is not None and subprotocol not in tokens(
        request, b"sec-websocket-protocol"
    ):
        raise ValueError(f"unexpected subprotocol {subprotocol}")
    asked = tokens(request, b"sec-websocket-extensions")
    return (server_extensions_handshake(asked, offered) or b"") if asked else b""


def response_head(
    key: bytes,
    subprotocol: str | None,
    extensions: bytes,
    headers: Iterable[tuple[bytes, bytes]],
) -> bytes:
    """The 101 answer to a handshake, as wsproto writes it through h11."""
    lines = [
        b"HTTP/1.1 101 Switching Protocols",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Accept: " + generate_accept_token(key),
    ]
    if subprotocol is not None:
        lines.append(b"Sec-WebSocket-Protocol: " + subprotocol.encode("ascii"))
    if extensions:
        lines.append(b"Sec-WebSocket-Extensions: " + extensions)
    for name, value in headers:
        if not _NAME.fullmatch(name) or not _VALUE.fullmatch(value):
            raise ValueError(f"invalid header {name!r}: {value!r}")
        lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n"
