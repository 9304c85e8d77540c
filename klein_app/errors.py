"""The route table every module adds to, and errors answered with core's pages.

Klein keeps one Werkzeug `Map` per `Klein` object. Here it is a class attribute,
`Routes.app`, and each module's routes are methods of a subclass of `Routes`:
`create_app` binds the table to one instance (Klein's "app on a class" pattern), so
that every handler reaches its settings as `self.settings`, as a Flask view reaches
`current_app.config`. Errors are Klein's `handle_errors`, one per kind, tried in
order: Werkzeug's 404 and 405 (raised by the routing before any handler runs), other
HTTP errors, and the `ClientError`s core's rules raise from any handler (a bad
`seconds`, a form over the limits).
"""

from __future__ import annotations

from klein import Klein, KleinRenderable
from klein.resource import KleinResource
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from core.content import NOT_FOUND, error_page, method_not_allowed_page
from core.contract import HTML, TEXT, allow_header
from core.errors import ClientError
from core.settings import Settings

_HTML, _TEXT = HTML.encode(), TEXT.encode()

app = Klein()
# Paths are matched as sent: no redirects that merge "//" into "/".
app.url_map.merge_slashes = False


def html(request: IRequest, body: str) -> bytes:
    request.setHeader(b"content-type", _HTML)
    return _sized(request, body.encode())


def text(request: IRequest, body: str) -> bytes:
    request.setHeader(b"content-type", _TEXT)
    return _sized(request, body.encode())


def _sized(request: IRequest, body: bytes) -> bytes:
    # Klein writes a returned body and finishes, leaving the length unsaid (HTTP/1.1
    # would chunk it); twisted.web's own render sets it, and so does this.
    request.setHeader(b"content-length", b"%d" % len(body))
    return body


def error(request: IRequest, status: int, detail: str) -> bytes:
    request.setResponseCode(status)
    return html(request, error_page(status, detail))


class Routes:
    """The base of every module's routes: the route table, bound to the settings."""

    app = app

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @app.handle_errors(NotFound)
    def not_found(self, request: IRequest, failure: Failure) -> bytes:
        """Any path no route claims."""
        request.setResponseCode(404)
        return html(request, NOT_FOUND)

    @app.handle_errors(MethodNotAllowed)
    def method_not_allowed(self, request: IRequest, failure: Failure) -> bytes:
        """A method the route does not take, with the methods it does."""
        assert isinstance(failure.value, MethodNotAllowed)
        request.setResponseCode(405)
        allowed = allow_header(failure.value.valid_methods or ())
        request.setHeader(b"allow", allowed.encode())
        method = request.method.decode("latin-1")
        return html(request, method_not_allowed_page(method))

    @app.handle_errors(HTTPException)
    def http_error(self, request: IRequest, failure: Failure) -> bytes:
        """Every other HTTP error Werkzeug raises, with its one-line description."""
        assert isinstance(failure.value, HTTPException)
        status = failure.value.code or 500
        return error(request, status, failure.value.description or "")

    @app.handle_errors(ClientError)
    def client_error(self, request: IRequest, failure: Failure) -> bytes:
        """A request core's rules refuse, with the status and detail they give."""
        assert isinstance(failure.value, ClientError)
        return error(request, failure.value.status, failure.value.detail)


class AppResource(KleinResource):
    """Klein's resource, with two paths Werkzeug's routing would answer oddly: the
    mount's own path (`/klein`, no slash) is home, as `/klein/` is, rather than a 308
    to it; a path that is not UTF-8 is one no route claims (404), rather than
    Klein's 400 with a traceback in the log."""

    def render(self, request: IRequest) -> KleinRenderable:
        if not request.postpath:
            request.postpath = [b""]
        try:
            b"/".join(request.postpath).decode("utf-8")
        except UnicodeDecodeError:
            request.setResponseCode(404)
            return html(request, NOT_FOUND)
        return super().render(request)
