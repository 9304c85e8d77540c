"""Empty path segments ("//"): 404 on every mount, before any resource sees them.

The root is its own child b"" (so that "/" and "/native/" answer), so "//native/x"
reached the native tree with b"" in `prepath`, which the calendar's redirect (and
`SCRIPT_NAME`, the ASGI `root_path`) turned into "//native/...": a scheme-relative
Location, which a browser reads as the host "native". One rule for the whole Site:
a path with an empty segment anywhere but at its end is no resource. uvicorn's
routes answer such paths with 404 too.
"""

from __future__ import annotations

from twisted.web.resource import Resource
from twisted.web.server import Request

from core.content import NOT_FOUND
from core.contract import HTML


def has_empty_segment(segments: list[bytes]) -> bool:
    """An empty segment before the last: "//", "/a//b"; "/a/" is fine."""
    return b"" in segments[:-1]


class EmptySegment(Resource):
    """The contract's 404, for a path with an empty segment."""

    isLeaf = True

    def render(self, request: Request) -> bytes:
        request.setResponseCode(404)
        request.setHeader(b"content-type", HTML.encode())
        return NOT_FOUND.encode()
