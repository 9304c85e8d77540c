"""Errors answered with core's pages: Starlette's exception handlers, one for HTTP
errors, one for the `ClientError`s core's rules raise from any endpoint (a bad
`seconds`, a form over the limits), one for the rest."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from core.content import NOT_FOUND, error_page, method_not_allowed_page
from core.contract import allow_header
from core.errors import ClientError


def error(status: int, detail: str) -> HTMLResponse:
    return HTMLResponse(error_page(status, detail), status)


async def http_error(request: Request, exc: Exception) -> Response:
    """404 and 405 with the contract's pages; other HTTP errors with their detail."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return HTMLResponse(NOT_FOUND, 404)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "").split(",")
        return HTMLResponse(
            method_not_allowed_page(request.method),
            405,
            {"Allow": allow_header(method.strip() for method in allowed if method)},
        )
    return error(exc.status_code, exc.detail)


async def client_error(request: Request, exc: Exception) -> Response:
    """A request core's rules refuse, with the status and detail they give."""
    assert isinstance(exc, ClientError)
    return error(exc.status, exc.detail)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unhandled exception: a plain 500; the traceback goes to the server log."""
    return error(500, "The server failed to answer this request.")


handlers = {
    HTTPException: http_error,
    ClientError: client_error,
    Exception: server_error,
}
