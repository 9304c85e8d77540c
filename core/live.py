"""The two features whose connection stays open: the WebSocket echo (`ws`) and the
server-sent clock (`events`). Their shared rules: the event stream's media type and
pace, and its `count` parameter, checked as the busy pages check `seconds`."""

from __future__ import annotations

import re

from core.errors import ClientError

EVENT_STREAM = "text/event-stream; charset=utf-8"  # server-sent events, UTF-8 always
EVENT_INTERVAL = 1.0  # seconds between events: the chapter's clock, pushed
# An hour of events; without `count` the stream runs until the client leaves.
MAX_COUNT = 3600

_COUNT = re.compile(r"[0-9]{1,4}")


class BadCount(ClientError):
    """`count` is not a whole number from 1 to the limit: 400, with the bounds."""

    def __init__(self) -> None:
        super().__init__(400, f"count must be a whole number from 1 to {MAX_COUNT}")


def parse_count(raw: str | None) -> int | None:
    """`count` from a query string value: plain digits, 1 to MAX_COUNT; None when
    absent (an endless stream)."""
    if raw is None:
        return None
    if not _COUNT.fullmatch(raw) or not 1 <= int(raw) <= MAX_COUNT:
        raise BadCount()
    return int(raw)
