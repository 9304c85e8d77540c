"""The connections that stay open, as far as WSGI can. `ws`: it cannot (one call
per request, the whole answer returned), so the view says why with a 501. `events`:
a generator that sleeps between events; the server sends each as it comes, and the
pool thread stays with the generator for as long as the client listens. A bad
`count` raises `BadCount`, which the app's error handler answers with a 400."""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import WebsocketMismatch

from core.content import NO_WEBSOCKET, time_event
from core.contract import HTML
from core.live import EVENT_INTERVAL, EVENT_STREAM, parse_count

bp = Blueprint("live", __name__)


@bp.get("/ws")
def ws() -> Response:
    """No WebSocket under WSGI: 501, and why."""
    return Response(NO_WEBSOCKET, 501, content_type=HTML)


@bp.app_errorhandler(WebsocketMismatch)
def upgrade_refused(_: HTTPException) -> Response:
    """A WebSocket handshake, which Werkzeug's routing refuses (a 400) before any view
    runs: the same 501."""
    return ws()


def _ticks(count: int | None) -> Iterator[str]:
    sent = 0
    while True:
        yield time_event()
        sent += 1
        if sent == count:
            return
        time.sleep(EVENT_INTERVAL)  # holding the pool thread


@bp.get("/events")
def events() -> Response:
    """The clock, once a second, for `count` events or until the client leaves."""
    count = parse_count(request.args.get("count"))
    headers = {"Cache-Control": "no-cache"}
    return Response(_ticks(count), content_type=EVENT_STREAM, headers=headers)
