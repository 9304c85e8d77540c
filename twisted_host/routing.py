"""The Site's root: a table of prefixes, each a resource, and a request goes to the
most specific prefix that matches its path (as nginx's `location` prefixes, or
Starlette's `Mount`s in order of length), so that an app may sit at `/` with the
dashboard, `/metrics` or another app at prefixes above it.

A prefix's resource sees the request as if it were a child of the root named so:
`prepath` holds the prefix's segments (the ASGI `root_path`, the WSGI `SCRIPT_NAME`),
`postpath` the rest; the app at `/` gets every segment in `postpath`. Nothing matches
and no app at `/`: the contract's 404."""

from __future__ import annotations

from typing import Any

from twisted.web.resource import IResource, Resource
from twisted.web.server import Request

from twisted_host.native.errors import NotFound


class Router(Resource):
    """The root resource: prefixes (tuples of path segments) to resources."""

    def __init__(self) -> None:
        super().__init__()
        self.table: dict[tuple[bytes, ...], IResource] = {}
        self._depths: list[int] = []

    def route(self, segments: list[str], resource: IResource) -> None:
        """Serve `resource` at the prefix of `segments` ([] for `/`); ValueError
        when the prefix has one already."""
        key = tuple(segment.encode() for segment in segments)
        if key in self.table:
            raise ValueError(f"/{'/'.join(segments)} is served twice")
        self.table[key] = resource
        self._depths = sorted({len(k) for k in self.table if k}, reverse=True)

    def getChildWithDefault(self, path: bytes, request: Request) -> Any:
        # Any: Twisted's resources are untyped. Twisted has moved `path` from
        # postpath into prepath; the prefix found takes the segments it names.
        postpath = request.postpath or []
        for depth in self._depths:
            if depth - 1 > len(postpath):
                continue
            key = (path, *postpath[: depth - 1])
            found = self.table.get(key)
            if found is not None:
                request.prepath = list(key)
                request.postpath = postpath[depth - 1 :]
                _served_by(request, b"/".join(key).decode())
                return found
        root = self.table.get(())
        if root is None:
            return NotFound()
        request.prepath = []
        request.postpath = [path, *postpath]
        _served_by(request, "")
        return root

    def render(self, request: Request) -> bytes:
        # Only reached for a request whose path has no segment at all ("*" aside,
        # Twisted always leaves one, b"" for "/"): nothing to serve.
        return NotFound().render(request)


def _served_by(request: Request, mount: str) -> None:
    # For the access log (`TwistbridgeRequest.mount`); any Request takes it.
    request.mount = mount  # type: ignore[attr-defined]
