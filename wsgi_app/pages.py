"""Home, about, echo and hello: one view function per page."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import Rule

from core.content import ABOUT, HELLO, HOME, echo_text
from core.contract import TEXT

bp = Blueprint("pages", __name__)


@bp.get("/", strict_slashes=False)  # the mount's path, with or without "/"
def home() -> str:
    """The home page."""
    return HOME


@bp.get("/about")
def about() -> str:
    """The about page."""
    return ABOUT


def echo() -> Response:
    """The request line and headers, for any method."""
    environ = request.environ
    # WSGI has no raw request line: the path arrives decoded, split in SCRIPT_NAME and
    # PATH_INFO, and is quoted back; headers come as HTTP_* keys, one per name.
    target = quote(environ["SCRIPT_NAME"] + environ["PATH_INFO"], safe="/:@!$&'()*+,;=")
    if environ.get("QUERY_STRING"):
        target += "?" + environ["QUERY_STRING"]
    headers = list(request.headers.items())
    return Response(
        echo_text(request.method, target, environ["SERVER_PROTOCOL"], headers),
        content_type=TEXT,
    )


@bp.record_once
def _route_echo(state: BlueprintSetupState) -> None:
    # Flask routes always list their methods; a Werkzeug rule without any takes all.
    state.app.url_map.add(Rule("/echo", endpoint="pages.echo"))
    state.app.view_functions["pages.echo"] = echo


@bp.get("/hello")
def hello() -> Response:
    """The throughput baseline."""
    return Response(HELLO, content_type=TEXT)
