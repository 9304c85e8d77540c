"""Server-sent events: a race's feed over one long `text/event-stream` response.

`EventSource` reconnects by itself and sends `Last-Event-ID`; the feed replays what
came after it, so a reconnect neither loses nor repeats an event.
"""

from __future__ import annotations

import json

from twisted.web.server import Request

from twisted_host.dashboard.race.feed import Event, Feed


def frame(event: Event) -> bytes:
    data = json.dumps(event, separators=(",", ":"))
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {data}\n\n".encode()


class EventStream:
    """A Subscriber writing to one request until the feed closes or the client goes."""

    def __init__(self, request: Request, feed: Feed) -> None:
        self.request = request
        self.feed = feed
        self.open = True
        request.notifyFinish().addBoth(self._gone)

    def start(self) -> None:
        request = self.request
        request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        raw = request.getHeader(b"last-event-id") or b""
        after = int(raw) if raw.isdigit() else -1
        self.feed.subscribe(self, after)

    def send(self, event: Event) -> None:
        if self.open:
            self.request.write(frame(event))

    def close(self) -> None:
        if self.open:
            self.open = False
            self.request.finish()

    def _gone(self, _: object) -> None:
        self.open = False
        self.feed.unsubscribe(self)
