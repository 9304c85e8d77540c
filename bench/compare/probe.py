"""One blocking HTTP GET, for readiness checks: no load engine needed."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit


def get_status(url: str, timeout: float) -> int | None:
    """The status of GET url, or None when no answer came within `timeout`."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=timeout
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
