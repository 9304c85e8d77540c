"""The form: a page with a form, and the answer to POSTing it.

"Twisted Web in 60 Seconds", handling-posts: `render_GET` returns the form,
`render_POST` reads the field from `request.args` (Twisted has already parsed the
urlencoded or multipart body) and escapes it on the way out; the book's example 4-8.
"""

from __future__ import annotations

from twisted.web.server import Request

from core.content import FORM_FIELD, FORM_PAGE, MISSING_FIELD, form_result_page
from twisted_host.native.errors import Page, error, html

_FIELD = FORM_FIELD.encode()


class Form(Page):
    def __init__(self, max_body_size: int) -> None:
        super().__init__()
        self.max_body_size = max_body_size

    def render_GET(self, request: Request) -> bytes:
        return html(request, FORM_PAGE)

    def render_POST(self, request: Request) -> bytes:
        # Twisted has read the whole body by now; `request.content` is a file.
        if request.content.seek(0, 2) > self.max_body_size:
            return error(request, 413, f"The body is over {self.max_body_size} bytes.")
        values = request.args.get(_FIELD)
        if not values:
            return error(request, 400, MISSING_FIELD)
        return html(request, form_result_page(values[0].decode("utf-8", "replace")))
