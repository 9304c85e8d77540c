"""One blocking HTTP GET, for readiness checks: no load engine needed."""

from __future__ import annotations

import http.client
import ssl
from urllib.parse import urlsplit


def get_status(url: str, timeout: float) -> int | None:
    """The status of GET url, or None when no answer came within `timeout`."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    connection = (
        # A readiness probe of a local server whose certificate the caller made
        # (`bench.h2`): whether it answers, not whom it proves to be.
        http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl._create_unverified_context()
        )
        if parts.scheme == "https"
        else http.client.HTTPConnection(host, parts.port, timeout=timeout)
    )
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target or "/")
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
