"""The busy pages. A WSGI view cannot wait without holding its pool thread, so `busy`
and `busy/blocking` are the same `time.sleep`; `busy/thread` hands the sleep to
another thread and still holds its own while it waits for the answer. A bad `seconds`
raises `BadSeconds`, which the app's error handler answers with a 400."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from flask import Blueprint, Response, current_app, request
from werkzeug.local import LocalProxy

from core.busy import WAITED_ON, WAITED_ON_HEADER, parse_seconds
from core.content import busy_page

bp = Blueprint("busy", __name__)

# busy/thread's executor: the app owns it (see create_app), found per request as
# `current_app` itself is.
_workers = cast(
    ThreadPoolExecutor, LocalProxy(lambda: current_app.extensions["busy-thread"])
)


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
    seconds = _seconds()
    time.sleep(seconds)
    return _done("busy")


@bp.get("/busy/blocking")
def blocking() -> Response:
    """Sleeps S seconds on the pool thread (the same as busy, under WSGI)."""
    seconds = _seconds()
    time.sleep(seconds)
    return _done("busy-blocking")


@bp.get("/busy/thread")
def thread() -> Response:
    """Hands the sleep to another thread, and waits for it."""
    seconds = _seconds()
    _workers.submit(time.sleep, seconds).result()
    return _done("busy-thread")
