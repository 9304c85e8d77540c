"""Which lane a request takes: the direct lane (`direct`) for a target under a
bridge's mount, read by the C parser; the resource lane (a `twisted.web` `Request`
through the resource tree) for everything else.

A request takes the direct lane only when the resource lane would have handed it to
that bridge unchanged, so that the two cannot answer differently: its target is a
path that starts with the mount's prefix as it is written (a prefix spelled with
"%" escapes still reaches the bridge, through the tree, which unquotes), it has no
empty segment (the Site's 404, `paths`), and it asks for no protocol upgrade (a
WebSocket handshake is Twisted's, on the resource lane).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted_host.http import rules
from twisted_host.http.headers import ReceivedHeaders
from twisted_host.http.interfaces import Bridge

if TYPE_CHECKING:
    from twisted_host.http.request import TwistbridgeRequest

Route = tuple[bytes, Bridge]  # the mount's prefix (b"/asgi") and its bridge


class Lanes:
    """The bridges' mounts, by prefix; `route` finds the one a target is under."""

    def __init__(self) -> None:
        self._first: dict[bytes, Route] = {}  # one-segment prefixes: b"/asgi"
        self._longer: list[Route] = []  # b"/api/v1", longest first

    def __bool__(self) -> bool:
        return bool(self._first or self._longer)

    def add(self, prefix: str, bridge: Bridge) -> None:
        """Serve `prefix` ("/asgi", "/api/v1") on the direct lane with `bridge`."""
        key = prefix.rstrip("/").encode("ascii")
        if key.count(b"/") == 1:
            self._first[key] = (key, bridge)
        else:
            self._longer.append((key, bridge))
            self._longer.sort(key=lambda route: -len(route[0]))

    def route(self, target: bytes) -> Route | None:
        """The mount a target takes the direct lane to, or None (see the module)."""
        path = target.partition(b"?")[0]
        if b"//" in path:
            return None
        for route in self._longer:
            prefix = route[0]
            if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] in (
                b"",
                b"/",
            ):
                return route
        end = path.find(b"/", 1)
        return self._first.get(path if end < 0 else path[:end])


def resource_request(
    channel: Any, head: rules.Head, length: int | None, cookie: bool
) -> TwistbridgeRequest:
    """The resource lane's `Request` for a head a C parser read (its fields checked
    already, names lower-cased) on `channel` (Any: Twisted's `HTTPChannel`, which
    makes it); `cookie`: a Cookie header came."""
    request: TwistbridgeRequest = channel.requestFactory(channel)
    headers = request.requestHeaders
    if isinstance(headers, ReceivedHeaders):
        headers.add_parsed(head.fields)
    else:
        for name, value in head.fields:
            headers.addRawHeader(name, value)
    if cookie:  # Twisted's parseCookies looks for the header: it came or not
        request.parseCookies()
    request.gotLength(length)
    return request
