"""The `seconds` parameter of the busy pages: its default, its bounds, its errors."""

from __future__ import annotations

import math
import re

from core.errors import ClientError

DEFAULT_SECONDS = 5.0  # the book's examples 4-9 and 4-10 wait five seconds
MAX_SECONDS = 60.0

_NUMBER = re.compile(r"[0-9]{1,3}(\.[0-9]{1,6})?")


class BadSeconds(ClientError):
    """`seconds` is not a number from 0 to the limit: 400, with the bounds."""

    def __init__(self, limit: float) -> None:
        super().__init__(400, f"seconds must be a number from 0 to {limit:g}")


def parse_seconds(
    raw: str | None,
    default: float = DEFAULT_SECONDS,
    limit: float = MAX_SECONDS,
) -> float:
    """`seconds` from a query string value: plain decimal digits, 0 to `limit`."""
    if raw is None:
        return default
    if not _NUMBER.fullmatch(raw):
        raise BadSeconds(limit)
    seconds = float(raw)
    if not math.isfinite(seconds) or seconds > limit:
        raise BadSeconds(limit)
    return seconds


# Each busy page says, in this response header, what its wait held on to: the lesson
# of examples 4-9 and 4-10 in one line a person sees in curl -i.
WAITED_ON_HEADER = "X-Waited-On"
WAITED_ON: dict[tuple[str, str], str] = {
    ("native", "busy"): "a reactor timer (deferLater); no thread held",
    ("native", "busy-blocking"): "the reactor thread, blocked: nothing else was served",
    ("native", "busy-thread"): "a reactor pool thread (deferToThread)",
    ("wsgi", "busy"): "a WSGI pool thread: WSGI cannot wait without holding one",
    ("wsgi", "busy-blocking"): "a WSGI pool thread, blocked",
    ("wsgi", "busy-thread"): "a second thread, while the WSGI pool thread waited",
    ("asgi", "busy"): "an event-loop timer (asyncio.sleep); no thread held",
    ("asgi", "busy-blocking"): "the event loop, blocked: nothing else was served",
    ("asgi", "busy-thread"): "a threadpool thread (run_in_threadpool)",
    ("klein", "busy"): "a reactor timer (deferLater); no thread held",
    ("klein", "busy-blocking"): "the reactor thread, blocked: nothing else was served",
    ("klein", "busy-thread"): "a reactor pool thread (deferToThread)",
}
