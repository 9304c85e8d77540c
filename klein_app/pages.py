"""Home, about, echo and hello: one decorated handler per page, as in Flask; a handler
takes the `twisted.web` request itself and returns the body."""

from __future__ import annotations

from twisted.web.server import Request

from core.content import ABOUT, HELLO, HOME
from klein_app.errors import Routes, app, html, text
from twisted_host.native.pages import echo_of


class Pages(Routes):
    @app.route("/", methods=["GET"])
    def home(self, request: Request) -> bytes:
        """The home page."""
        return html(request, HOME)

    @app.route("/about", methods=["GET"])
    def about(self, request: Request) -> bytes:
        """The about page."""
        return html(request, ABOUT)

    @app.route("/echo")  # no `methods`: a Werkzeug rule without them takes every one
    def echo(self, request: Request) -> bytes:
        """The request line and headers, for any method."""
        # The request is twisted.web's, as on the native mount: the same function.
        return text(request, echo_of(request))

    @app.route("/hello", methods=["GET"])
    def hello(self, request: Request) -> bytes:
        """The throughput baseline."""
        return text(request, HELLO)
