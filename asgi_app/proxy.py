"""The reverse proxy: `M/proxy/<path>` forwarded with one pooled `httpx.AsyncClient`.

Both bodies stream: the request's as `request.stream()` yields it, the answer's as
`aiter_raw` reads it (still encoded: `Content-Encoding` passes through). Every wait
is an `await`, so a slow upstream holds a coroutine, not a thread, as on `/native`.
What is forwarded, and where, is `core.proxy`'s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING

from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from asgi_app.errors import error
from core import proxy

if TYPE_CHECKING:
    import httpx


async def forward(request: Request) -> Response:
    """Forwards the request upstream and streams the answer back."""
    # Imported on the first proxied request, not with the app: httpx brings its
    # command line's imports (rich, pygments), a seventh of a server's start-up CPU.
    import httpx

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
    client = _client(request.app.state)
    # Built apart from the client, so that it carries the client's headers only, not
    # httpx's defaults (Accept-Encoding: gzip would have the upstream compress what
    # the client never asked to be).
    outgoing = httpx.Request(
        request.method,
        f"{upstream.scheme}://{upstream.authority}{target}",
        headers=headers,
        content=request.stream() if has_body else None,
    )
    try:
        answer = await client.send(outgoing, stream=True)
    except httpx.TimeoutException:
        return error(504, proxy.TOO_SLOW)
    except httpx.HTTPError:
        return error(502, proxy.UNREACHABLE)
    response = StreamingResponse(_relay(answer), answer.status_code)
    # Raw, not a mapping: a repeated header (Set-Cookie) stays repeated.
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in proxy.response_headers(answer.headers.multi_items())
    ]
    return response


def _client(state: State) -> httpx.AsyncClient:
    """The app's one client: its pool keeps up to `upstream_pool` idle connections to
    the upstream, each reused by the next request rather than a connection (and,
    over https, a handshake) per request. Made on first use, on the loop that runs
    the app; the process's end closes its connections."""
    import httpx

    client: httpx.AsyncClient | None = getattr(state, "upstream_client", None)
    if client is None:
        settings = state.settings
        client = httpx.AsyncClient(
            timeout=settings.upstream_timeout,
            verify=proxy.tls_context(settings.upstream_ca),
            limits=httpx.Limits(
                max_connections=None, max_keepalive_connections=settings.upstream_pool
            ),
            # Shared by every client of this server: a cookie the upstream sets for
            # one must be kept for none (the jar would grow with each, too).
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )
        state.upstream_client = client
    return client


async def _relay(answer: httpx.Response) -> AsyncIterator[bytes]:
    """The upstream's body as it arrives, each read an `await`; read to its end,
    the connection goes back to the pool."""
    import httpx

    try:
        async for chunk in answer.aiter_raw():  # as it comes: a size would buffer
            yield chunk
    except httpx.HTTPError as broken:
        raise proxy.UpstreamCut(proxy.BROKEN) from broken
    finally:
        await answer.aclose()


routes = [
    Route("/proxy", forward, methods=list(proxy.METHODS)),
    Route("/proxy/{path:path}", forward, methods=list(proxy.METHODS)),
]
