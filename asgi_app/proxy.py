"""The reverse proxy: `M/proxy/<path>` forwarded with `httpx.AsyncClient`.

Both bodies stream: the request's as `request.stream()` yields it, the answer's as
`aiter_raw` reads it (still encoded: `Content-Encoding` passes through). Every wait
is an `await`, so a slow upstream holds a coroutine, not a thread, as on `/native`.
What is forwarded, and where, is `core.proxy`'s.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from functools import cache

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from asgi_app.errors import error
from core import proxy


async def forward(request: Request) -> Response:
    """Forwards the request upstream and streams the answer back."""
    settings = request.app.state.settings
    upstream = proxy.upstream_of(settings.upstream)
    if upstream is None:
        return error(502, proxy.NO_UPSTREAM)
    scope = request.scope
    # The path as sent: scope["path"] is decoded, and an encoded "/" in it could no
    # longer be told from a real one.
    raw_path = scope["raw_path"].decode("latin-1")
    depth = scope["root_path"].count("/") + 1
    query = scope["query_string"].decode("latin-1")
    target = proxy.target(upstream, raw_path, depth, query)
    headers = proxy.request_headers(
        request.headers.items(),
        upstream=upstream,
        client=request.client.host if request.client else None,
        scheme=request.url.scheme,
    )
    has_body = "content-length" in headers or "transfer-encoding" in request.headers
    # A client per request: nothing to close at shutdown, at the cost of a connection
    # per request to the upstream (the TLS context, costly to load, is shared). The
    # request is built apart from it, so that it carries the client's headers only,
    # not httpx's defaults (Accept-Encoding: gzip would have the upstream compress
    # what the client never asked to be).
    client = httpx.AsyncClient(timeout=settings.upstream_timeout, verify=_tls())
    outgoing = httpx.Request(
        request.method,
        f"{upstream.scheme}://{upstream.authority}{target}",
        headers=headers,
        content=request.stream() if has_body else None,
    )
    try:
        answer = await client.send(outgoing, stream=True)
    except httpx.TimeoutException:
        await client.aclose()
        return error(504, proxy.TOO_SLOW)
    except httpx.HTTPError:
        await client.aclose()
        return error(502, proxy.UNREACHABLE)
    response = StreamingResponse(_relay(client, answer), answer.status_code)
    # Raw, not a mapping: a repeated header (Set-Cookie) stays repeated.
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in proxy.response_headers(answer.headers.multi_items())
    ]
    return response


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


async def _relay(
    client: httpx.AsyncClient, answer: httpx.Response
) -> AsyncIterator[bytes]:
    """The upstream's body as it arrives, each read an `await`."""
    try:
        async for chunk in answer.aiter_raw():  # as it comes: a size would buffer
            yield chunk
    except httpx.HTTPError as broken:
        raise proxy.UpstreamCut(proxy.BROKEN) from broken
    finally:
        await answer.aclose()
        await client.aclose()


routes = [
    Route("/proxy", forward, methods=list(proxy.METHODS)),
    Route("/proxy/{path:path}", forward, methods=list(proxy.METHODS)),
]
