"""The base every native page derives from: errors answered with core's pages.

"Twisted Web in 60 Seconds", error-handling: a resource that does not know a child
returns one that renders a 404, and `Resource.render` raises `UnsupportedMethod`
for a method it has no `render_*` for. Here both answer with the contract's bodies
instead of Twisted's own error pages, and so does a `ClientError` that core's rules
raise from any page (a bad `seconds`, a form over the limits).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from twisted.web.error import UnsupportedMethod
from twisted.web.resource import Resource
from twisted.web.server import Request

from core.content import NOT_FOUND, error_page, method_not_allowed_page
from core.contract import HTML, TEXT, allow_header
from core.errors import ClientError

_HTML, _TEXT = HTML.encode(), TEXT.encode()


def html(request: Request, body: str) -> bytes:
    request.setHeader(b"content-type", _HTML)
    return body.encode()


def text(request: Request, body: str) -> bytes:
    request.setHeader(b"content-type", _TEXT)
    return body.encode()


def error(request: Request, status: int, detail: str) -> bytes:
    request.setResponseCode(status)
    return html(request, error_page(status, detail))


def render_or_405(
    render: Callable[[Request], bytes | int], request: Request
) -> bytes | int:
    """`render(request)`, or the contract's 405 when the resource lacks the method."""
    try:
        return render(request)
    except UnsupportedMethod as unsupported:
        request.setResponseCode(405)
        # Typed here: Twisted's class default, (), is all mypy infers of the attribute.
        methods: Sequence[bytes] = unsupported.allowedMethods
        allowed = (method.decode() for method in methods)
        request.setHeader(b"allow", allow_header(allowed).encode())
        return html(request, method_not_allowed_page(request.method.decode()))


class Page(Resource):
    """A resource whose unknown children are 404s, unknown methods 405s, and requests
    core refuses 4xx with the detail."""

    def getChild(self, path: bytes, request: Request) -> Resource:
        return NotFound()

    def render(self, request: Request) -> bytes | int:
        try:
            return render_or_405(super().render, request)
        except ClientError as refused:
            return error(request, refused.status, refused.detail)


class NotFound(Resource):
    """Renders the contract's 404 page, for any method, at any depth."""

    isLeaf = True

    def render(self, request: Request) -> bytes:
        request.setResponseCode(404)
        return html(request, NOT_FOUND)
