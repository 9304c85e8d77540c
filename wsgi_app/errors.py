"""Errors answered with core's pages: Flask's error handlers, one per status, and one
for the `ClientError`s core's rules raise from any view (a bad `seconds`, a form over
the limits)."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from core.content import NOT_FOUND, error_page, method_not_allowed_page
from core.contract import HTML, allow_header
from core.errors import ClientError


def error(status: int, detail: str) -> Response:
    return Response(error_page(status, detail), status, content_type=HTML)


def not_found(_: HTTPException) -> Response:
    """Any path no view claims."""
    return Response(NOT_FOUND, 404, content_type=HTML)


def method_not_allowed(exc: MethodNotAllowed) -> Response:
    """A method the view does not take, with the methods it does."""
    response = Response(method_not_allowed_page(request.method), 405, content_type=HTML)
    response.headers["Allow"] = allow_header(exc.valid_methods or ())
    return response


def http_error(exc: HTTPException) -> Response:
    """Every other HTTP error (400, 413, ...) with its one-line description."""
    status = exc.code or 500
    return error(status, exc.description or "")


def client_error(exc: ClientError) -> Response:
    """A request core's rules refuse, with the status and detail they give."""
    return error(exc.status, exc.detail)


def register(app: Flask) -> None:
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, method_not_allowed)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ClientError, client_error)
