"""Which lane a request takes: the direct lane (`direct`) for a target under a
bridge's mount, read by the C parser; the resource lane (a `twisted.web` `Request`
through the resource tree) for everything else.

A request takes the direct lane only when the resource lane would have handed it to
that bridge unchanged, so that the two cannot answer differently. So the table holds
every prefix of the Site's root (`twisted_host.routing.Router`), those served
elsewhere with no bridge, and finds the most specific one as the Router does; and
a target takes the direct lane only when it is a plain path: no "%" (the tree
unquotes segments before it matches them: "/%61sgi" is "/asgi" there), no empty
segment (the Site's 404, `paths`), and no protocol upgrade (a WebSocket handshake
is Twisted's, on the resource lane).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted_host.http import rules
from twisted_host.http.headers import ReceivedHeaders
from twisted_host.http.interfaces import Bridge

if TYPE_CHECKING:
    from twisted_host.http.request import TwistbridgeRequest

Route = tuple[bytes, Bridge]  # the mount's prefix (b"/asgi", b"" for /) and its bridge


class Lanes:
    """The root's prefixes, each with its bridge or none; `route` finds the one a
    target is under, the most specific first."""

    def __init__(self) -> None:
        self._table: dict[tuple[bytes, ...], Route | None] = {}
        self._depths: list[int] = []  # of the prefixes but `/`, deepest first
        self._bridges = 0
        # The first segments of the bridges' prefixes: a target under none of them,
        # with no bridge at `/`, is the resource lane's without a lookup (/native).
        self._firsts: set[bytes] = set()

    def __bool__(self) -> bool:
        return self._bridges > 0

    def add(self, prefix: str, bridge: Bridge | None) -> None:
        """Serve `prefix` ("/asgi", "/api/v1", "/") on the direct lane with
        `bridge`; None: the prefix is served, not by a bridge (a target under it
        takes the resource lane)."""
        key = tuple(s.encode("ascii") for s in prefix.strip("/").split("/") if s)
        self.add_segments(key, bridge)

    def add_segments(self, key: tuple[bytes, ...], bridge: Bridge | None) -> None:
        """`add` for a prefix as the Router keys it: its segments, () for `/`, and
        (b"",) for the page at `/` alone."""
        root = b"".join(b"/" + segment for segment in key)
        self._table[key] = None if bridge is None else (root, bridge)
        self._bridges += bridge is not None
        if bridge is not None and key:
            self._firsts.add(key[0])
        self._depths = sorted({len(k) for k in self._table if k}, reverse=True)

    def route(self, target: bytes) -> Route | None:
        """The mount a target takes the direct lane to, or None (see the module)."""
        path = target.partition(b"?")[0]
        if not path.startswith(b"/") or b"//" in path or b"%" in path:
            return None
        segments = path[1:].split(b"/")
        table = self._table
        if segments[0] not in self._firsts and table.get(()) is None:
            return None
        for depth in self._depths:
            if depth <= len(segments):
                key = tuple(segments[:depth])
                if key in table:
                    return table[key]
        return table.get(())


def resource_request(
    channel: Any, head: rules.Head, length: int | None, cookie: bool
) -> TwistbridgeRequest:
    """The resource lane's `Request` for a head a C parser read (its fields checked
    already, names lower-cased) on `channel` (Any: Twisted's `HTTPChannel`, which
    makes it); `cookie`: a Cookie header came."""
    request: TwistbridgeRequest = channel.requestFactory(channel)
    request.head = head  # its rules read it again when its turn comes (`_admitted`)
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
