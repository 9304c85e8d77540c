"""The reverse proxy: `M/proxy/<path>` forwarded with the stdlib's `http.client`, on
keep-alive connections from `wsgi_app.upstream_pool`.

A WSGI view can only block: the pool thread that runs it connects, sends, waits for
the upstream's headers and then for every chunk of its body, which the bridge writes
out as the generator yields it. The thread is held for the upstream's whole answer,
however slowly it comes; ten slow upstream answers take the ten threads of
`--wsgi-threads 10` and every other `/wsgi` request waits (`/native/proxy` and
`/asgi/proxy` hold none). What is forwarded, and where, is `core.proxy`'s.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request

from core import proxy
from wsgi_app.errors import error
from wsgi_app.upstream_pool import pool_for

bp = Blueprint("proxy", __name__)


# With and without the slash, each as sent (no redirect between them).
@bp.route("/proxy/", defaults={"path": ""}, methods=proxy.METHODS, strict_slashes=False)
@bp.route("/proxy/<path:path>", methods=proxy.METHODS)
def forward(path: str) -> Response:
    """Forwards the request upstream and streams the answer back."""
    settings = current_app.config["TWISTBRIDGE"]
    upstream = proxy.upstream_of(settings.upstream)
    if upstream is None:
        return error(502, proxy.NO_UPSTREAM)
    environ = request.environ
    # The path as sent (gunicorn's and the bridge's RAW_URI): PATH_INFO is decoded,
    # and an encoded "/" in it could no longer be told from a real one.
    raw = environ.get("RAW_URI") or environ["SCRIPT_NAME"] + environ["PATH_INFO"]
    raw_path = raw.partition("?")[0]
    depth = environ["SCRIPT_NAME"].count("/") + 1
    target = proxy.target(upstream, raw_path, depth, environ["QUERY_STRING"])
    headers = proxy.request_headers(
        request.headers.items(),
        upstream=upstream,
        client=request.remote_addr,
        scheme=request.scheme,
    )
    chunked = "content-length" not in headers and "chunked" in request.headers.get(
        "transfer-encoding", ""
    )
    body = _body() if chunked or "content-length" in headers else None
    pool = pool_for(
        upstream,
        settings.upstream_timeout,
        settings.upstream_ca,
        settings.upstream_pool,
    )
    # A body streams as it is sent: it cannot be sent again, so it never goes on a
    # connection that may turn out closed (upstream_pool says why).
    reused = pool.take() if body is None else None
    connection = reused or pool.new()
    try:
        try:
            answer = _send(connection, target, headers, chunked, body)
        except TimeoutError:
            raise
        except (OSError, http.client.HTTPException):
            if reused is None:
                raise
            reused.close()  # closed by the upstream as it was taken: once more, anew
            connection = pool.new()
            answer = _send(connection, target, headers, chunked, body)
    except TimeoutError:
        connection.close()
        return error(504, proxy.TOO_SLOW)
    except (OSError, http.client.HTTPException):
        connection.close()
        return error(502, proxy.UNREACHABLE)
    response = Response(
        _relay(answer),
        answer.status,
        headers=proxy.response_headers(answer.getheaders()),
    )
    if answer.getheader("content-type") is None:
        del response.headers["content-type"]  # Flask's default would be a guess
    response.call_on_close(lambda: pool.give_back(connection, answer))
    return response


def _send(
    connection: http.client.HTTPConnection,
    target: str,
    headers: dict[str, str],
    chunked: bool,
    body: Iterator[bytes] | None,
) -> http.client.HTTPResponse:
    # The client's headers only: no Accept-Encoding of http.client's own.
    connection.putrequest(
        request.method, target, skip_host=True, skip_accept_encoding=True
    )
    for name, value in headers.items():
        connection.putheader(name, value)
    if chunked:
        connection.putheader("transfer-encoding", "chunked")
    connection.endheaders(body, encode_chunked=chunked)
    return connection.getresponse()


def _body() -> Iterator[bytes]:
    # The body as it arrives, a chunk at a time: never held whole here.
    stream = request.stream
    while chunk := stream.read(proxy.CHUNK):
        yield chunk


def _relay(answer: http.client.HTTPResponse) -> Iterator[bytes]:
    """The upstream's body as it arrives: each `read1` blocks this pool thread."""
    try:
        while chunk := answer.read1(proxy.CHUNK):
            yield chunk
    except (OSError, http.client.HTTPException) as broken:
        raise proxy.UpstreamCut(proxy.BROKEN) from broken
    if answer.length:  # the upstream closed short of its Content-Length
        raise proxy.UpstreamCut(proxy.BROKEN)
