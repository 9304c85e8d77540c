"""The busy pages: `await asyncio.sleep` holds no thread; `time.sleep` in an `async def`
blocks the event loop, and with it the whole Twisted reactor; `run_in_threadpool`
hands the sleep to a worker thread. A bad `seconds` raises `BadSeconds`, which the
app's exception handler answers with a 400."""

from __future__ import annotations

import asyncio
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from core.busy import WAITED_ON, WAITED_ON_HEADER, parse_seconds
from core.content import busy_page


def _seconds(request: Request) -> float:
    settings = request.app.state.settings
    raw = request.query_params.get("seconds")
    return parse_seconds(raw, settings.busy_default, settings.busy_max)


def _done(feature: str) -> HTMLResponse:
    waited_on = WAITED_ON[("asgi", feature)]
    return HTMLResponse(busy_page(), headers={WAITED_ON_HEADER: waited_on})


async def busy(request: Request) -> HTMLResponse:
    """Waits S seconds on an event-loop timer, holding no thread."""
    seconds = _seconds(request)
    await asyncio.sleep(seconds)
    return _done("busy")


async def blocking(request: Request) -> HTMLResponse:
    """Sleeps S seconds on the event loop: nothing else runs meanwhile."""
    seconds = _seconds(request)
    time.sleep(seconds)
    return _done("busy-blocking")


async def thread(request: Request) -> HTMLResponse:
    """Hands the sleep to a threadpool thread, and awaits it."""
    seconds = _seconds(request)
    await run_in_threadpool(time.sleep, seconds)
    return _done("busy-thread")


routes = [
    Route("/busy", busy),
    Route("/busy/blocking", blocking),
    Route("/busy/thread", thread),
]
