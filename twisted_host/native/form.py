"""The form: a page with a form, and the answer to POSTing it.

"Twisted Web in 60 Seconds", handling-posts: `render_GET` returns the form,
`render_POST` reads the field from `request.args` (Twisted has already parsed the
urlencoded or multipart body) and escapes it on the way out; the book's example 4-8.
"""

from __future__ import annotations

from twisted.web.server import Request

from core.content import FORM_FIELD, FORM_PAGE, MISSING_FIELD, form_result_page
from core.settings import Settings
from twisted_host.native.errors import Page, error, html

_FIELD = FORM_FIELD.encode()


class Form(Page):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def render_GET(self, request: Request) -> bytes:
        return html(request, FORM_PAGE)

    def render_POST(self, request: Request) -> bytes:
        # Twisted has read and parsed the whole body by now (the Site capped its size).
        limits = self.settings
        if sum(map(len, request.args.values())) > limits.max_form_fields:
            return error(
                request, 413, f"The form has over {limits.max_form_fields} fields."
            )
        if any(
            len(v) > limits.max_form_memory for vs in request.args.values() for v in vs
        ):
            return error(
                request, 413, f"A field is over {limits.max_form_memory} bytes."
            )
        values = request.args.get(_FIELD)
        if not values:
            return error(request, 400, MISSING_FIELD)
        return html(request, form_result_page(values[0].decode("utf-8", "replace")))
