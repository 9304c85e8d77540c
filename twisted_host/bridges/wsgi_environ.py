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

from typing import Any

from twisted.web.server import Request
from twisted.web.wsgi import _ErrorStream, _InputStream

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


def build_environ(request: Request) -> dict[str, Any]:
    """The environ of `request` for a WSGI app (see the module)."""
    query = request.uri.partition(b"?")[2]
    prepath, postpath = request.prepath or [], request.postpath or []
    client, server = request.getClientAddress(), request.getHost()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method.decode("latin-1"),
        "REMOTE_ADDR": getattr(client, "host", ""),
        "REMOTE_PORT": str(getattr(client, "port", "")),
        "SCRIPT_NAME": (b"/" + b"/".join(prepath) if prepath else b"").decode(
            "latin-1"
        ),
        "PATH_INFO": (b"/" + b"/".join(postpath) if postpath else b"").decode(
            "latin-1"
        ),
        "QUERY_STRING": query.decode("latin-1"),
        # The target as sent, as gunicorn gives it (PATH_INFO is decoded: an encoded
        # "/" is no longer told from a real one).
        "RAW_URI": request.uri.decode("latin-1"),
        "SERVER_NAME": request.getRequestHostname().decode("latin-1"),
        "SERVER_PORT": str(getattr(server, "port", "")),
        "SERVER_PROTOCOL": request.clientproto.decode("latin-1"),
    }
    for name, value in received_headers(request):
        if not wsgi_passes(name):
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
    environ.update(
        {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if request.isSecure() else "http",
            "wsgi.run_once": False,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.errors": _ErrorStream(),
            "wsgi.input": _InputStream(request.content),
            "wsgi.input_terminated": True,
        }
    )
    return environ
