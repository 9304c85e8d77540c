"""The form: a page with a form, and the answer to POSTing it."""

from __future__ import annotations

from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import Message

from asgi_app.errors import error
from core.content import FORM_FIELD, FORM_PAGE, MISSING_FIELD, form_result_page

_LIMIT_MESSAGES = ("Too many", "Field exceeded", "Part exceeded")


class Form(HTTPEndpoint):
    """One class for the form's methods: other methods get 405 with `Allow`."""

    async def get(self, request: Request) -> HTMLResponse:
        """The form."""
        return HTMLResponse(FORM_PAGE)

    async def post(self, request: Request) -> HTMLResponse:
        """The submitted field, escaped; bodies over the limit get 413 unread."""
        limit = request.app.state.settings.max_body_size
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return error(413, f"The body is over {limit} bytes.")
        size = 0
        chunks = []
        async for chunk in request.stream():  # a chunked body is cut off at the limit
            size += len(chunk)
            if size > limit:
                return error(413, f"The body is over {limit} bytes.")
            chunks.append(chunk)
        body = b"".join(chunks)

        async def replay() -> Message:  # the body read above, for form() to parse
            return {"type": "http.request", "body": body, "more_body": False}

        settings = request.app.state.settings
        try:
            form = await Request(request.scope, replay).form(
                max_fields=settings.max_form_fields,
                max_part_size=settings.max_form_memory,
            )
        except HTTPException as exc:
            # Starlette answers its form limits with 400; the other mounts with 413.
            if exc.detail.startswith(_LIMIT_MESSAGES):
                return error(413, exc.detail)
            raise
        value = form.get(FORM_FIELD)
        if not isinstance(value, str):
            return error(400, MISSING_FIELD)
        return HTMLResponse(form_result_page(value))


routes = [Route("/form", Form)]
