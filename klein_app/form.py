"""The form: a page with a form, and the answer to POSTing it.

The Site has read the whole body into `request.content` (capped: 413 beyond
`--max-body-size`) and left it unparsed (see the native form); Werkzeug's form parser,
which Klein brings along, reads it, urlencoded or multipart, and core's `check_form`
holds the limits.
"""

from __future__ import annotations

from twisted.web.server import Request
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header

from core.content import FORM_FIELD, FORM_PAGE, form_result_page
from core.form import check_form
from klein_app.errors import Routes, app, html


class Form(Routes):
    @app.route("/form", methods=["GET"])
    def form(self, request: Request) -> bytes:
        """The form."""
        return html(request, FORM_PAGE)

    @app.route("/form", methods=["POST"])
    def submit(self, request: Request) -> bytes:
        """The submitted field, escaped."""
        mimetype, options = parse_options_header(
            (request.getHeader(b"content-type") or b"").decode("latin-1")
        )
        body = request.content
        assert body is not None  # the Site gives every request a body, empty or not
        body.seek(0)
        # No limits of Werkzeug's own: they would answer with messages of their own.
        _, form, files = FormDataParser().parse(body, mimetype, None, options)
        fields = [
            value for parsed in (form, files) for _, value in parsed.items(multi=True)
        ]
        value = form.get(FORM_FIELD)
        settings = self.settings
        return html(request, form_result_page(check_form(fields, value, settings)))
