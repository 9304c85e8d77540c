"""The form: a page with a form, and the answer to POSTing it.

"Twisted Web in 60 Seconds", handling-posts: `render_GET` returns the form,
`render_POST` reads the field from `request.args` (Twisted has already parsed the
urlencoded or multipart body) and escapes it on the way out; the book's example 4-8.
core's `check_form` holds the limits; its `FormRejected` is answered by `Page.render`.
"""

from __future__ import annotations

from twisted.web.server import Request

from core.content import FORM_FIELD, FORM_PAGE, form_result_page
from core.form import check_form
from core.settings import Settings
from twisted_host.native.errors import Page, html

_FIELD = FORM_FIELD.encode()


class Form(Page):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def render_GET(self, request: Request) -> bytes:
        return html(request, FORM_PAGE)

    def render_POST(self, request: Request) -> bytes:
        # Twisted has read and parsed the whole body by now (the Site capped its size).
        fields = [value for values in request.args.values() for value in values]
        values = request.args.get(_FIELD)
        value = check_form(fields, values[0] if values else None, self.settings)
        return html(request, form_result_page(value))
