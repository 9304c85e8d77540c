"""Home, about, echo and hello: one endpoint per page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from core.content import ABOUT, HELLO, HOME, echo_text


async def home(request: Request) -> HTMLResponse:
    """The home page."""
    return HTMLResponse(HOME)


async def about(request: Request) -> HTMLResponse:
    """The about page."""
    return HTMLResponse(ABOUT)


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """The request line and headers, for any method."""
    # ASGI keeps the raw path and every header, in order, names lower-cased.
    target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    if scope["query_string"]:
        target += "?" + scope["query_string"].decode("latin-1")
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    version = "HTTP/" + scope["http_version"]
    text = echo_text(scope["method"], target, version, headers)
    await PlainTextResponse(text)(scope, receive, send)


async def hello(request: Request) -> PlainTextResponse:
    """The throughput baseline."""
    return PlainTextResponse(HELLO)


class ASGIEndpoint:
    """Wraps an ASGI function so that `Route` sees an app, not a request handler."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


routes = [
    Route("/", home),
    Route("/about", about),
    # A plain ASGI callable, not a request function: Route then takes every method.
    Route("/echo", ASGIEndpoint(echo)),
    Route("/hello", hello),
]
