"""The ASGI HTTP scope (spec 2.4) of a request, as uvicorn builds it, from either
lane (`twisted_host.http.lanes`): one function over the head's parts, so that the
two lanes cannot give an app different scopes."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.web.server import Request

from twisted_host.bridges.lifespan import ASGI_VERSION
from twisted_host.http.direct import DirectRequest
from twisted_host.http.headers import received_headers
from twisted_host.types import Scope


def http_scope(
    head: tuple[bytes, bytes, bytes, list[tuple[bytes, bytes]]],
    root_path: str,
    secure: bool,
    client: object,
    server: object,
    state: dict[str, Any],
    proxy_root: str,
) -> Scope:
    """`head`: method, target, version (b"HTTP/1.1"), headers as received;
    `proxy_root`: where a path-prefixing proxy serves the Site (uvicorn's
    --root-path), which starts `path`, `raw_path` and `root_path` alike (spec 2.4)."""
    method, target, version, headers = head
    raw_path, _, query = target.partition(b"?")
    raw_path = proxy_root.encode() + raw_path
    path = raw_path.decode("latin-1")
    return {
        "type": "http",
        "asgi": ASGI_VERSION,
        "http_version": version.decode("ascii")[5:] or "1.0",
        "method": method.decode("ascii"),
        "scheme": "https" if secure else "http",
        "path": unquote(path) if "%" in path else path,
        "raw_path": raw_path,
        "query_string": query,
        "root_path": proxy_root + root_path,
        "headers": headers,
        "client": _address(client),
        "server": _address(server),
        "state": dict(state),
    }


def request_scope(
    request: Request, state: dict[str, Any], proxy_root: str = ""
) -> Scope:
    """The scope of a `twisted.web` request (the resource lane)."""
    # The path segments that led here: "/asgi" for a child named b"asgi" of the root.
    root_path = "".join(
        "/" + s.decode("utf-8", "replace") for s in request.prepath or ()
    )
    head = (request.method, request.uri, request.clientproto, received_headers(request))
    return http_scope(
        head,
        root_path,
        request.isSecure(),
        request.getClientAddress(),
        request.getHost(),
        state,
        proxy_root,
    )


def direct_scope(
    request: DirectRequest, state: dict[str, Any], proxy_root: str = ""
) -> Scope:
    """The scope of a request on the direct lane."""
    head = (request.method, request.uri, request.clientproto, request.headers)
    return http_scope(
        head,
        request.root.decode("ascii"),
        request.isSecure(),
        request.client,
        request.getHost(),
        state,
        proxy_root,
    )


def _address(address: object) -> tuple[str, int] | None:
    if isinstance(address, IPv4Address | IPv6Address):
        return (address.host, address.port)
    return None
