"""Home, about, echo and hello: plain resources in a `putChild` tree.

"Twisted Web in 60 Seconds", static-dispatch: each page is a `Resource` with a
`render_GET`, put into its parent with `putChild`; the book's example 4-2 in
resource form, and example 4-1's echo.
"""

from __future__ import annotations

from twisted.web.server import Request

from core.content import ABOUT, HELLO, HOME, echo_text
from twisted_host.native.errors import Page, html, text


class Home(Page):
    def render_GET(self, request: Request) -> bytes:
        return html(request, HOME)


class About(Page):
    def render_GET(self, request: Request) -> bytes:
        return html(request, ABOUT)


class Echo(Page):
    # `render` itself, not `render_GET`: echo answers every method.
    def render(self, request: Request) -> bytes:
        return text(request, echo_of(request))


def echo_of(request: Request) -> str:
    """What a `twisted.web` request shows of itself (Klein's echo shows the same)."""
    # Twisted keeps the request line as sent and every header, repeated ones too;
    # only the names' case is normalised.
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in request.requestHeaders.getAllRawHeaders()
        for value in values
    ]
    return echo_text(
        request.method.decode("latin-1"),
        request.uri.decode("latin-1"),
        request.clientproto.decode("latin-1"),
        headers,
    )


class Hello(Page):
    def render_GET(self, request: Request) -> bytes:
        return text(request, HELLO)
