"""A race's events, kept and handed out, whatever carries them to a browser.

A race publishes plain dicts to its `Feed`; a transport (server-sent events in
`sse.py`; a WebSocket would be another) subscribes with the last event it has seen
and gets the rest replayed, then every new one, then `close()` once the race is over.
The feed also is the race's record: the permalink's JSON is its events.
"""

from __future__ import annotations

from typing import Any, Protocol

Event = dict[str, Any]  # always has "id" (its place in the feed) and "type"


class Subscriber(Protocol):
    def send(self, event: Event) -> None: ...

    def close(self) -> None: ...


class Feed:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.over = False
        self._subscribers: list[Subscriber] = []

    def publish(self, kind: str, **data: Any) -> Event:
        event: Event = {"id": len(self.events), "type": kind, **data}
        self.events.append(event)
        for subscriber in list(self._subscribers):
            subscriber.send(event)
        return event

    def subscribe(self, subscriber: Subscriber, after: int = -1) -> None:
        """Replay every event after the id `after`, then follow (or close, if over)."""
        for event in self.events[after + 1 :]:
            subscriber.send(event)
        if self.over:
            subscriber.close()
        else:
            self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def close(self) -> None:
        self.over = True
        subscribers, self._subscribers = self._subscribers, []
        for subscriber in subscribers:
            subscriber.close()
