"""Small raw ASGI 3 apps that exercise one server behaviour each, served by the bridge
and by uvicorn alike (differential testing). What an app observes that the client
cannot see (a disconnect, a cancellation) goes to `EVENTS`, which `/events` returns."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs

from twisted_host.types import ASGIApp, Receive, Scope, Send

EVENTS: list[str] = []

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


async def respond(
    send: Send,
    body: bytes,
    status: int = 200,
    headers: list[tuple[bytes, bytes]] | None = None,
    content_type: bytes = b"text/plain; charset=utf-8",
) -> None:
    fields = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": fields + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


def query(scope: Scope) -> dict[str, str]:
    pairs = parse_qs(scope["query_string"].decode())
    return {key: values[0] for key, values in pairs.items()}


async def scope_app(scope: Scope, receive: Receive, send: Send) -> None:
    seen = {
        "type": scope["type"],
        "asgi": scope["asgi"],
        "http_version": scope["http_version"],
        "method": scope["method"],
        "scheme": scope["scheme"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query_string": scope["query_string"].decode("latin-1"),
        "root_path": scope["root_path"],
        "headers": [
            [k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]
        ],
        "client_host": (scope.get("client") or ["?"])[0],
        "server": list(scope["server"] or []),
        "state": scope.get("state"),
        "keys": sorted(scope),
    }
    await respond(send, json.dumps(seen).encode(), content_type=b"application/json")


async def body_app(scope: Scope, receive: Receive, send: Send) -> None:
    digest = hashlib.sha256()
    length = messages = 0
    while True:
        message = await receive()
        assert message["type"] == "http.request", message
        digest.update(message["body"])
        length += len(message["body"])
        messages += 1
        if not message.get("more_body", False):
            break
    result = {"length": length, "sha256": digest.hexdigest(), "messages": messages}
    await respond(send, json.dumps(result).encode(), content_type=b"application/json")


async def upload_app(scope: Scope, receive: Receive, send: Send) -> None:
    """An upload view: the body to a temporary file as it arrives. `tag` names what it
    records: called, reading (after `delay` s), and a disconnect; `read=no` answers
    without reading the body."""
    args = query(scope)
    tag, delay = args.get("tag", ""), float(args.get("delay", "0"))
    EVENTS.append(f"called {tag}")
    await asyncio.sleep(delay)
    if args.get("read") == "no":
        await respond(send, b"not read")
        return
    EVENTS.append(f"reading {tag}")
    digest, length = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as sink:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                EVENTS.append(f"disconnect {tag}")
                return
            digest.update(message["body"])
            length += len(message["body"])
            sink.write(message["body"])
            if not message.get("more_body", False):
                break
    result = {"length": length, "sha256": digest.hexdigest()}
    await respond(send, json.dumps(result).encode(), content_type=b"application/json")


async def stream_app(scope: Scope, receive: Receive, send: Send) -> None:
    args = query(scope)
    chunks, size = int(args.get("chunks", "3")), int(args.get("size", "5"))
    headers = [(b"content-type", b"application/octet-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for index in range(chunks):
        body = bytes([65 + index % 26]) * size
        await send({"type": "http.response.body", "body": body, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
    EVENTS.append(f"stream done {chunks}x{size}")


async def headers_app(scope: Scope, receive: Receive, send: Send) -> None:
    cookies = [(b"set-cookie", b"a=1; Path=/"), (b"set-cookie", b"b=2; Path=/")]
    await respond(send, b"cookies", headers=[*cookies, (b"x-custom", b"Value")])


async def status_app(scope: Scope, receive: Receive, send: Send) -> None:
    status = int(query(scope).get("code", "200"))
    headers = [(b"x-status", str(status).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"this body must not be sent"})


async def raise_before(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("boom before the response started")


async def raise_after(scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise RuntimeError("boom after the response started")


async def raise_after_complete(scope: Scope, receive: Receive, send: Send) -> None:
    # What Starlette's ServerErrorMiddleware does: send the 500 page, then re-raise.
    await respond(send, b"error page", 500)
    raise RuntimeError("boom after the response was complete")


async def no_response(scope: Scope, receive: Receive, send: Send) -> None:
    return None


async def wait_disconnect(scope: Scope, receive: Receive, send: Send) -> None:
    tag = query(scope).get("tag", "")
    while (await receive())["type"] != "http.disconnect":
        pass
    EVENTS.append(f"disconnect {tag}")
    try:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        EVENTS.append(f"send after disconnect returned {tag}")
    except OSError as error:
        EVENTS.append(
            f"send after disconnect raised OSError {tag} {type(error).__name__}"
        )


async def ignore_disconnect(scope: Scope, receive: Receive, send: Send) -> None:
    tag = query(scope).get("tag", "")
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        EVENTS.append(f"cancelled {tag}")
        raise


async def events_app(scope: Scope, receive: Receive, send: Send) -> None:
    await respond(send, json.dumps(EVENTS).encode(), content_type=b"application/json")


ROUTES: dict[str, Handler] = {
    "/scope": scope_app,
    "/body": body_app,
    "/upload": upload_app,
    "/stream": stream_app,
    "/headers": headers_app,
    "/status": status_app,
    "/raise-before": raise_before,
    "/raise-after": raise_after,
    "/raise-after-complete": raise_after_complete,
    "/no-response": no_response,
    "/wait-disconnect": wait_disconnect,
    "/ignore-disconnect": ignore_disconnect,
    "/events": events_app,
}


async def conformance(scope: Scope, receive: Receive, send: Send) -> None:
    """Dispatches on the path below `root_path`; runs a lifespan that fills `state`."""
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    if scope["type"] == "websocket":
        from tests.twisted_host.bridges.websocket_apps import websocket_app

        await websocket_app(scope, receive, send)
        return
    path = scope["path"][len(scope["root_path"]) :]
    handler = ROUTES.get(path) or (scope_app if path.startswith("/scope/") else None)
    if handler is None:
        await respond(send, b"no such test app", 404)
        return
    await handler(scope, receive, send)


async def lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    marker = os.environ.get("LIFESPAN_MARKER")
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            scope["state"]["greeting"] = "hello from startup"
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if marker:
                Path(marker).write_text("shutdown ran")
            await send({"type": "lifespan.shutdown.complete"})
            return


async def failing_startup(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await receive()
        await send(
            {"type": "lifespan.startup.failed", "message": "database unreachable"}
        )
        return
    await respond(send, b"should never serve")


async def no_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        raise ValueError(f"this app does not do {scope['type']}")
    await respond(send, b"served without lifespan")


def _fastapi() -> ASGIApp:
    from tests.twisted_host.bridges.websocket_apps import create_fastapi

    return create_fastapi()


APPS: dict[str, ASGIApp] = {
    "conformance": conformance,
    "failing-startup": failing_startup,
    "no-lifespan": no_lifespan,
}
# Apps made when a host asks for them (importing FastAPI costs a second).
FACTORIES: dict[str, Callable[[], ASGIApp]] = {"fastapi": _fastapi}


def app_named(name: str) -> ASGIApp:
    return APPS[name] if name in APPS else FACTORIES[name]()


def mounted(prefix: str, app: ASGIApp) -> ASGIApp:
    """`app` under `prefix`, as Starlette's Mount does it, for uvicorn."""

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            if not scope["path"].startswith(prefix):
                await respond(send, b"outside the mount", 404)
                return
            scope = {**scope, "root_path": scope.get("root_path", "") + prefix}
        await app(scope, receive, send)

    return outer
