"""The connections that stay open. `ws`: a Starlette `WebSocketRoute` whose endpoint
accepts, then sends back every text and bytes message until the client closes.
`events`: a `StreamingResponse` over an async generator, an event now and one
after every `await asyncio.sleep`, holding no thread; Starlette stops it when the
client leaves. A bad `count` raises `BadCount`, which the app's exception handler
answers with a 400."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from core.content import time_event
from core.live import EVENT_INTERVAL, EVENT_STREAM, parse_count


async def ws(websocket: WebSocket) -> None:
    """Echoes every message until the client closes."""
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


async def _ticks(count: int | None) -> AsyncIterator[str]:
    sent = 0
    while True:
        yield time_event()
        sent += 1
        if sent == count:
            return
        await asyncio.sleep(EVENT_INTERVAL)


async def events(request: Request) -> StreamingResponse:
    """The clock, once a second, for `count` events or until the client leaves."""
    count = parse_count(request.query_params.get("count"))
    headers = {"Cache-Control": "no-cache"}
    return StreamingResponse(_ticks(count), media_type=EVENT_STREAM, headers=headers)


routes = [
    WebSocketRoute("/ws", ws),
    Route("/events", events),
]
