"""Which POSTs to `/race/start` come from the race page itself.

A race makes this server fire bursts at itself: a page on another site must not be
able to make a visitor's browser start one (a cross-site POST of a simple form needs
no CORS preflight). As Django's CSRF origin check: a request whose `Origin` names
another origin than the one it was sent to, or whose `Sec-Fetch-Site` says it comes
from another origin (`cross-site`, `same-site`), is refused; a request with neither
header (curl, a script) is not a browser's, and is let through.
"""

from __future__ import annotations

from twisted.web.server import Request

# What a browser sends for a request its user or the page's own origin made.
_OWN = {b"same-origin", b"none"}


def cross_origin(request: Request) -> str | None:
    """Why the request comes from another origin, or None when it does not."""
    fetch_site = request.getHeader(b"sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in _OWN:
        return f"Sec-Fetch-Site: {fetch_site.decode('latin-1')}"
    origin = request.getHeader(b"origin")
    if origin is None:
        return None
    scheme = b"https" if request.isSecure() else b"http"
    own = scheme + b"://" + (request.getHeader(b"host") or b"").lower()
    if origin.strip().lower() != own:
        return f"Origin: {origin.decode('latin-1')}"
    return None
