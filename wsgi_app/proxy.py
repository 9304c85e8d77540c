"""The reverse proxy: `M/proxy/<path>` forwarded with the stdlib's `http.client`.

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
    connection_class = (
        http.client.HTTPSConnection
        if upstream.scheme == "https"
        else http.client.HTTPConnection
    )
    connection = connection_class(
        upstream.host, upstream.port, timeout=settings.upstream_timeout
    )
    try:
        # The client's headers only: no Accept-Encoding of http.client's own.
        connection.putrequest(
            request.method, target, skip_host=True, skip_accept_encoding=True
        )
        for name, value in headers.items():
            connection.putheader(name, value)
        if chunked:
            connection.putheader("transfer-encoding", "chunked")
        connection.endheaders(body, encode_chunked=chunked)
        answer = connection.getresponse()
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
    response.call_on_close(connection.close)
    return response


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
