"""WebSocket apps for the differential tests of the bridge's `websocket` scope: raw
ASGI ones (one server behaviour each, under `/ws/...` of the conformance app) and a
real FastAPI app. What an app observes that the client cannot see (the disconnect
code it got, how far a send got) goes to `asgi_apps.EVENTS`."""

from __future__ import annotations

import asyncio
import json

from fastapi import FastAPI, WebSocket, WebSocketDisconnect, WebSocketException
from fastapi.responses import JSONResponse

from tests.twisted_host.bridges.asgi_apps import EVENTS
from twisted_host.types import Receive, Scope, Send

FLOOD_MESSAGES = 2000
FLOOD_SIZE = 64 * 1024


async def _accept(send: Send, subprotocol: str | None = None) -> None:
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": subprotocol,
            "headers": [(b"x-accepted-by", b"the app")],
        }
    )


async def _until_disconnect(receive: Receive, send: Send, echo: bool) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            EVENTS.append(f"disconnect {message['code']}")
            return
        if echo:
            await send({**message, "type": "websocket.send"})


async def websocket_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Dispatches on the path below `root_path`."""
    assert (await receive())["type"] == "websocket.connect"
    path = scope["path"][len(scope["root_path"]) :]
    if path == "/ws/echo":
        offered = scope["subprotocols"]
        await _accept(send, offered[0] if offered else None)
        await _until_disconnect(receive, send, echo=True)
    elif path == "/ws/scope":
        await _accept(send)
        seen = {
            key: scope[key]
            for key in ("type", "asgi", "http_version", "scheme", "path", "root_path")
        }
        seen.update(
            raw_path=scope["raw_path"].decode(),
            query_string=scope["query_string"].decode(),
            subprotocols=scope["subprotocols"],
            headers=[[k.decode(), v.decode()] for k, v in scope["headers"]],
            client_host=scope["client"][0],
            server_host=scope["server"][0],
            extensions=sorted(scope.get("extensions", {})),
        )
        await send({"type": "websocket.send", "text": json.dumps(seen)})
        await send({"type": "websocket.close", "code": 1000})
    elif path == "/ws/reject":
        await send({"type": "websocket.close"})
    elif path == "/ws/deny":
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"7")]
        await send(
            {"type": "websocket.http.response.start", "status": 401, "headers": headers}
        )
        await send({"type": "websocket.http.response.body", "body": b"go away"})
    elif path == "/ws/close":
        await _accept(send)
        await receive()
        await send({"type": "websocket.close", "code": 4000, "reason": "bye"})
    elif path == "/ws/raise-before":
        raise RuntimeError("the app failed before accepting")
    elif path == "/ws/raise-after":
        await _accept(send)
        raise RuntimeError("the app failed after accepting")
    elif path == "/ws/wait":
        await _accept(send)
        await _until_disconnect(receive, send, echo=False)
    elif path == "/ws/stall":
        await _accept(send)
        await receive()  # one message, then no more `receive` for a long while
        await asyncio.sleep(30)
    elif path == "/ws/flood":
        await _accept(send)
        await receive()  # "go"
        block = b"x" * FLOOD_SIZE
        for sent in range(FLOOD_MESSAGES):
            await send({"type": "websocket.send", "bytes": block})
            EVENTS[:] = [f"sent {sent + 1}"]
        await _until_disconnect(receive, send, echo=False)
    else:
        await send({"type": "websocket.close", "code": 1008})


def create_fastapi() -> FastAPI:
    """A FastAPI app as its users write them: typed WebSocket endpoints,
    `WebSocketDisconnect`, a dependency-style refusal, JSON messages."""
    app = FastAPI()

    @app.websocket("/chat/{room}")
    async def chat(websocket: WebSocket, room: str, token: str = "") -> None:
        if token != "secret":
            raise WebSocketException(code=1008, reason="bad token")
        await websocket.accept()
        await websocket.send_json({"joined": room})
        try:
            while True:
                text = await websocket.receive_text()
                if text == "bye":
                    await websocket.close(code=4001, reason="see you")
                    return
                await websocket.send_json({"room": room, "echo": text.upper()})
        except WebSocketDisconnect as gone:
            EVENTS.append(f"fastapi disconnect {gone.code}")

    @app.get("/events")
    async def events() -> JSONResponse:
        return JSONResponse(EVENTS)

    return app
