"""The access log line: Twisted's combined log format, formatted cheaply; or JSON
lines (`--access-log-format json`), one object a request with its id, duration and
mount. `FORMATS` names them: a format is a function of the Site's timestamp and the
request, and a field more is a key more in `json_fields`.

Twisted's `combinedLogFormatter` escapes each of its six fields through `repr()`:
about a tenth of the cost of a small request. The same line is made here with a fast
path for the usual field (printable ASCII without quotes or backslashes) and
Twisted's own escaping for the rest; a test holds the two to the same output.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from time import monotonic
from typing import Any, Protocol

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress
from twisted.web.http import _escape


class Logged(Protocol):
    """What the line reads of a request, on either lane (`twisted_host.http.lanes`):
    a `twisted.web` `Request` or a `DirectRequest`."""

    method: bytes
    uri: bytes
    clientproto: bytes
    code: int
    sentLength: int
    lane: str

    def getClientAddress(self) -> IAddress: ...

    def getHeader(self, name: bytes) -> bytes | None: ...


# Printable ASCII but for ", ' and \: repr() leaves these bytes as they are.
_plain = re.compile(rb"[ !#-&(-\[\]-~]*").fullmatch


@lru_cache(maxsize=1024)
def _field(value: bytes) -> str:
    # Cached: methods, protocols, agents and most URIs repeat from line to line.
    return value.decode("ascii") if _plain(value) else str(_escape(value))


def combined_line(timestamp: str, request: Logged) -> str:
    """What `twisted.web.http.combinedLogFormatter(timestamp, request)` returns."""
    address = request.getClientAddress()
    ip = address.host if isinstance(address, IPv4Address | IPv6Address) else "-"
    line = request_line(request)
    referrer = _field(request.getHeader(b"referer") or b"-")
    agent = _field(request.getHeader(b"user-agent") or b"-")
    length = request.sentLength or "-"
    return (
        f'"{_escape(ip)}" - - {timestamp} "{line}" '
        f'{request.code} {length} "{referrer}" "{agent}"'
    )


def request_line(request: Logged) -> str:
    """ "GET /x?y HTTP/1.1", escaped as the combined format escapes it."""
    return line_of(request.method, request.uri, request.clientproto)


def line_of(method: bytes, uri: bytes, protocol: bytes) -> str:
    """A request line from its three parts, escaped as `request_line` escapes it."""
    return f"{_field(method)} {_field(uri)} {_field(protocol)}"


# A request id the client (or a proxy before us) sent is kept when it is a plain
# token of sane length; any other gets a new one.
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}").fullmatch


def request_id(request: Logged) -> str:
    """The request's `X-Request-ID` if it is a plain token, else a fresh one."""
    sent = request.getHeader(b"x-request-id")
    if sent is not None and _REQUEST_ID(sent):
        return sent.decode("ascii")
    return os.urandom(8).hex()


def json_fields(request: Logged) -> dict[str, Any]:
    """What a JSON access line says of a request (keys in a stable order)."""
    address = request.getClientAddress()
    started = getattr(request, "received_at", None)
    mount = getattr(request, "mount", None)
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "client": getattr(address, "host", None),
        "method": request.method.decode("latin-1"),
        "path": request.uri.decode("latin-1"),
        "protocol": request.clientproto.decode("latin-1"),
        "status": request.code,
        "bytes": request.sentLength,
        "duration_ms": round((monotonic() - started) * 1000, 3) if started else None,
        "mount": None if mount is None else "/" + mount,
        "lane": request.lane,  # which lane served it (twisted_host.http.lanes)
        "request_id": request_id(request),
        "referer": _text(request.getHeader(b"referer")),
        "user_agent": _text(request.getHeader(b"user-agent")),
    }


def json_line(timestamp: str, request: Logged) -> str:
    """One JSON object (on one line: JSON escapes every control character)."""
    return json.dumps(json_fields(request), separators=(",", ":"))


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


# `--access-log-format`'s choices.
FORMATS: dict[str, Callable[[str, Logged], str]] = {
    "combined": combined_line,
    "json": json_line,
}
