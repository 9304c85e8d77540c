"""The busy pages. A WSGI view cannot wait without holding its pool thread, so `busy`
and `busy/blocking` are the same `time.sleep`; `busy/thread` hands the sleep to
another thread and still holds its own while it waits for the answer."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, Response, current_app, request

from core.busy import WAITED_ON, WAITED_ON_HEADER, BadSeconds, parse_seconds
from core.content import busy_page
from wsgi_app.errors import error

bp = Blueprint("busy", __name__)

# The executor for busy/thread; its threads start on demand.
_workers = ThreadPoolExecutor(thread_name_prefix="busy-thread")


def _seconds() -> float:
    settings = current_app.config["TWISTBRIDGE"]
    raw = request.args.get("seconds")
    return parse_seconds(raw, settings.busy_default, settings.busy_max)


def _done(feature: str) -> Response:
    return Response(
        busy_page(), headers={WAITED_ON_HEADER: WAITED_ON[("wsgi", feature)]}
    )


@bp.get("/busy")
def busy() -> Response:
    """Waits S seconds, holding a pool thread: WSGI has no other way to wait."""
    try:
        seconds = _seconds()
    except BadSeconds as bad:
        return error(400, str(bad))
    time.sleep(seconds)
    return _done("busy")


@bp.get("/busy/blocking")
def blocking() -> Response:
    """Sleeps S seconds on the pool thread (the same as busy, under WSGI)."""
    try:
        seconds = _seconds()
    except BadSeconds as bad:
        return error(400, str(bad))
    time.sleep(seconds)
    return _done("busy-blocking")


@bp.get("/busy/thread")
def thread() -> Response:
    """Hands the sleep to another thread, and waits for it."""
    try:
        seconds = _seconds()
    except BadSeconds as bad:
        return error(400, str(bad))
    _workers.submit(time.sleep, seconds).result()
    return _done("busy-thread")
