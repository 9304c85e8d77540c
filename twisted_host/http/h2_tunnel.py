"""The HTTP/2 connection's half of WebSockets over HTTP/2 (RFC 8441), as hypercorn has
them: the server says SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, and a client then opens a
WebSocket as an extended CONNECT (`:method CONNECT`, `:protocol websocket`) on a
stream of the connection it already has.

Twisted hands a request to the Site only once its stream has ended, as it must for a
body; a tunnel's stream ends only with the tunnel. An extended CONNECT is therefore
handed over as soon as its headers are in, marked with its `:protocol`, and the
stream's DATA then goes to whatever the resource puts in the request's `tunnel`
(`twisted_host.http.ws_opening`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from h2.connection import H2Connection as H2State
from h2.events import RequestReceived
from h2.settings import SettingCodes

from twisted_host.http.interfaces import Wire


def offer_extended_connect(state: H2State) -> None:
    """Announce RFC 8441's setting, after the server's first SETTINGS frame."""
    state.update_settings({SettingCodes.ENABLE_CONNECT_PROTOCOL: 1})


def connect_protocol(event: RequestReceived) -> bytes | None:
    """The `:protocol` of an extended CONNECT (h2 has checked that it comes with
    `:method CONNECT`, `:scheme` and `:path`); None for any other request."""
    for name, value in event.headers or ():
        if name == b":protocol":
            return bytes(value)
    return None


def open_tunnel(stream: Any, protocol: bytes) -> None:
    """Hand an extended CONNECT's request to the Site now (Any: Twisted's H2Stream,
    untyped); the end of its stream, later, only finishes it."""
    request = stream._request
    request.connect_protocol = protocol
    request.requestReceived(stream.command, stream.path, b"HTTP/2")


def tunnels(streams: Iterable[Any]) -> list[Wire]:
    """The WebSockets open on these streams (Any: Twisted's H2Streams, untyped)."""
    found = (getattr(stream._request, "tunnel", None) for stream in streams)
    return [wire for wire in found if wire is not None]
