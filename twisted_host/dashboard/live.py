"""The dashboard's live wire: its figures pushed over a WebSocket of the native tree
(`/live`, once a second), and the connections that stay open per mount (WebSockets
and server-sent event streams), counted from the Site's connections.

The dashboard's script listens on `/live` and falls back to polling `/stats` when
the WebSocket cannot open (a proxy that does not pass it, say); without JavaScript
the page shows the figures as they were when it was served.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure
from twisted.web.server import Request
from twisted.web.websocket import WebSocketTransport

from core.live import EVENT_STREAM
from twisted_host.http.interfaces import Connection
from twisted_host.http.ws_opening import WebSocketResource

PUSH_INTERVAL = 1.0  # seconds between two documents, as the script's poll
_EVENT_STREAM = EVENT_STREAM.split(";")[0].encode()


def open_streams(
    channels: Iterable[Connection],
    names: Iterable[str],
    mount_of: Callable[[bytes], str],
) -> dict[str, dict[str, int]]:
    """Per mount: open WebSockets, and event streams being answered."""
    counts = {name: {"websockets": 0, "event_streams": 0} for name in names}
    for channel in channels:
        wires = channel.websockets
        if wires and wires[0].request is not None:
            # A WebSocket that took an HTTP/1.1 connection, until the socket's end.
            counts[mount_of(wires[0].request.path)]["websockets"] += 1
            continue
        for request in channel.requests:  # of either lane (twisted_host.http.lanes)
            if request.finished:
                continue
            if getattr(request, "tunnel", None) is not None:  # over HTTP/2 (RFC 8441)
                counts[mount_of(request.path)]["websockets"] += 1
            elif request.response_type.startswith(_EVENT_STREAM):
                counts[mount_of(request.path)]["event_streams"] += 1
    return counts


class _Feed:
    """One dashboard listening: the figures now, then once a second."""

    def __init__(self, snapshot: Callable[[], dict[str, Any]]) -> None:
        # Imported here: the figures (which import this module) must not install a
        # reactor before the asyncio one is.
        from twisted.internet import reactor

        self.snapshot = snapshot
        self.pushes = LoopingCall(self.push)
        self.pushes.clock = reactor

    def negotiationStarted(self, transport: WebSocketTransport) -> None:
        self.transport = transport

    def negotiationFinished(self) -> None:
        self.pushes.start(PUSH_INTERVAL, now=True)

    def push(self) -> None:
        self.transport.sendTextMessage(json.dumps(self.snapshot()))

    def textMessageReceived(self, message: str) -> None:
        pass  # the dashboard says nothing

    def bytesMessageReceived(self, data: bytes | bytearray) -> None:
        pass

    def pongReceived(self, payload: bytes) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:
        if self.pushes.running:
            self.pushes.stop()


class _FeedFactory:
    def __init__(self, snapshot: Callable[[], dict[str, Any]]) -> None:
        self.snapshot = snapshot

    def buildProtocol(self, request: Request) -> _Feed:
        return _Feed(self.snapshot)


def live_figures(snapshot: Callable[[], dict[str, Any]]) -> WebSocketResource:
    """`/live`: the `/stats` document, pushed once a second."""
    return WebSocketResource(_FeedFactory(snapshot))
