"""The WSGI environ of a request, built in one pass: the one Twisted's `_WSGIResponse`
builds, as gunicorn builds it where the two differ, at a fraction of the cost.

Where they differ: CGI (RFC 3875 section 4.1.18), which PEP 3333 adopts, has the
body's headers only as CONTENT_TYPE and CONTENT_LENGTH, each absent when the request
has none (a chunked body has no length), where Twisted also sets HTTP_ copies (which
`wsgiref.validate` rejects) and empty values; and the input ends where the body does,
which `wsgi.input_terminated` says, so that a framework reads a body of unknown
length instead of dropping it.

A header name with "_" is dropped (the edge's rule `http.rules.wsgi_passes`), as
gunicorn drops it (`header_map = "drop"`, since 22.0) and nginx ignores it
(`underscores_in_headers off`): CGI maps "-" to "_", so
`X_Auth_User` would reach the app as the HTTP_X_AUTH_USER of an `X-Auth-User` that a
proxy in front strips and sets itself, and impersonate it.

Twisted's builds the environ from a dozen `getHeader` lookups and a decode per value,
and the differences were then taken back out: a sixth of the WSGI mount's reactor
time per request in a profile of `/wsgi/hello`. The contract and the differential
suites against gunicorn hold the keys and values to the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_to_bytes

from twisted.web.http import _hostHeaderExpression
from twisted.web.server import Request
from twisted.web.wsgi import _ErrorStream, _InputStream

from twisted_host.http.direct import DirectRequest
from twisted_host.http.headers import received_headers
from twisted_host.http.rules import wsgi_passes

# The environ key of a header name ("user-agent" -> "HTTP_USER_AGENT"), kept for the
# names seen most; bounded, as names come from clients.
_KEYS: dict[bytes, str] = {}
_MAX_KEYS = 512
# CGI (RFC 3875 section 4.1.18): these two are CONTENT_TYPE and CONTENT_LENGTH only.
_BODY_HEADERS = {b"content-type": "CONTENT_TYPE", b"content-length": "CONTENT_LENGTH"}


def _key(name: bytes) -> str:
    key = _KEYS.get(name)
    if key is None:
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        if len(_KEYS) < _MAX_KEYS:
            _KEYS[name] = key
    return key


@dataclass(frozen=True, slots=True)
class Place:
    """Where a request sits, for the environ: the mount's path and what follows it
    (each as the resource tree splits them), the client, the server, the scheme."""

    script_name: bytes  # b"/wsgi"
    path_info: bytes  # unquoted, b"/x/y", or b""
    client: object  # an IAddress
    server: object
    secure: bool


def build_environ(request: Request) -> dict[str, Any]:
    """The environ of a `twisted.web` request (the resource lane)."""
    prepath, postpath = request.prepath or [], request.postpath or []
    place = Place(
        b"/" + b"/".join(prepath) if prepath else b"",
        b"/" + b"/".join(postpath) if postpath else b"",
        request.getClientAddress(),
        request.getHost(),
        request.isSecure(),
    )
    head = (request.method, request.uri, request.clientproto, received_headers(request))
    return environ_of(head, place, _InputStream(request.content))


def direct_environ(request: DirectRequest, input: object) -> dict[str, Any]:
    """The environ of a request on the direct lane (`twisted_host.http.lanes`)."""
    rest = request.path[len(request.root) :]
    place = Place(
        request.root,
        unquote_to_bytes(rest) if b"%" in rest else rest,
        request.client,
        request.getHost(),
        request.isSecure(),
    )
    head = (request.method, request.uri, request.clientproto, request.headers)
    return environ_of(head, place, input)


def environ_of(
    head: tuple[bytes, bytes, bytes, list[tuple[bytes, bytes]]],
    place: Place,
    input: object,
) -> dict[str, Any]:
    """The environ (see the module). `head`: method, target, version, headers as
    received, names lower-cased; `input`: `wsgi.input`."""
    method, target, version, headers = head
    client, server = place.client, place.server
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.decode("latin-1"),
        "REMOTE_ADDR": getattr(client, "host", ""),
        "REMOTE_PORT": str(getattr(client, "port", "")),
        "SCRIPT_NAME": place.script_name.decode("latin-1"),
        "PATH_INFO": place.path_info.decode("latin-1"),
        "QUERY_STRING": target.partition(b"?")[2].decode("latin-1"),
        # The target as sent, as gunicorn gives it (PATH_INFO is decoded: an encoded
        # "/" is no longer told from a real one).
        "RAW_URI": target.decode("latin-1"),
        "SERVER_NAME": "",  # below, from the last Host header (in this place)
        "SERVER_PORT": str(getattr(server, "port", "")),
        "SERVER_PROTOCOL": version.decode("latin-1"),
    }
    host = None
    for name, value in headers:
        if name == b"host":
            host = value
        elif not wsgi_passes(name):
            continue  # see the module: it could impersonate a name with "-"
        body_key = _BODY_HEADERS.get(name)
        text = value.decode("latin-1")
        if body_key is not None:
            if text:
                environ[body_key] = text  # the last, as Twisted's `getHeader`
            continue
        key = _key(name)
        # Repeated fields joined with ",", as Twisted and gunicorn join them.
        environ[key] = f"{environ[key]},{text}" if key in environ else text
    # What Twisted's `getRequestHostname` gives: the last Host's name, else ours.
    environ["SERVER_NAME"] = (
        _host_name(host) if host is not None else str(getattr(server, "host", ""))
    )
    environ.update(
        {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if place.secure else "http",
            "wsgi.run_once": False,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.errors": _ErrorStream(),
            "wsgi.input": input,
            "wsgi.input_terminated": True,
        }
    )
    return environ


@lru_cache(maxsize=256)
def _host_name(host: bytes) -> str:
    """A Host header's name without its port or brackets (Twisted's expression)."""
    match = _hostHeaderExpression.match(host)
    assert match is not None  # every part of the expression is optional
    return str(match.group("host").decode("latin-1"))
