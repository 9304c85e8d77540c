"""The form: a page with a form, and the answer to POSTing it."""

from __future__ import annotations

import math

from starlette.endpoints import HTTPEndpoint
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import Message

from asgi_app.errors import error
from core.content import FORM_FIELD, FORM_PAGE, form_result_page
from core.form import check_form


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
        try:
            async for (
                chunk
            ) in request.stream():  # a chunked body is cut off at the limit
                size += len(chunk)
                if size > limit:
                    return error(413, f"The body is over {limit} bytes.")
                chunks.append(chunk)
        except ClientDisconnect:  # gone mid-body, or its framing refused by the server
            return error(400, "The body did not arrive whole.")
        body = b"".join(chunks)

        async def replay() -> Message:  # the body read above, for form() to parse
            return {"type": "http.request", "body": body, "more_body": False}

        # The body is read and capped: Starlette's own form limits would only answer
        # with messages of their own, so core's check_form holds them instead.
        form = await Request(request.scope, replay).form(
            max_files=math.inf, max_fields=math.inf, max_part_size=limit
        )
        settings = request.app.state.settings
        fields = [value for _, value in form.multi_items()]
        value = form.get(FORM_FIELD)
        return HTMLResponse(form_result_page(check_form(fields, value, settings)))


routes = [Route("/form", Form)]
