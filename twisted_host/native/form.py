"""The form: a page with a form, and the answer to POSTing it.

"Twisted Web in 60 Seconds", handling-posts: `render_GET` returns the form,
`render_POST` reads the field and escapes it on the way out; the book's example 4-8.
Twisted would have parsed the body into `request.args` before rendering, but its
parser reads `Content-Type` with the `email` package, in time quadratic in the
header's length, for every POST: the Site turns that off, and the form parses its own
body here, urlencoded or multipart (with python-multipart, the parser Starlette uses).
core's `check_form` holds the limits; its `FormRejected` is answered by `Page.render`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from python_multipart import FormParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import Field, File
from twisted.web.server import Request

from core.content import FORM_FIELD, FORM_PAGE, form_result_page
from core.form import FormRejected, check_form
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
        # The whole body is in request.content by now (the Site capped its size).
        body = request.content.read() if request.content is not None else b""
        form = parse_form(request.getHeader(b"content-type") or b"", body)
        values = [value for _, value in form]
        field = next((value for name, value in form if name == _FIELD), None)
        return html(request, form_result_page(check_form(values, field, self.settings)))


def parse_form(content_type: bytes, body: bytes) -> list[tuple[bytes, bytes]]:
    """The fields of a urlencoded or multipart body (files as their bytes), in order;
    any other body has none. Time linear in the header and the body."""
    media_type, _, parameters = content_type.partition(b";")
    media_type = media_type.strip().lower()
    if media_type == b"application/x-www-form-urlencoded":
        # Through latin-1 both ways: every byte, escaped or not, comes back as it was.
        pairs = parse_qsl(body.decode("latin-1"), True, encoding="latin-1")
        return [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs
        ]
    if media_type != b"multipart/form-data":
        return []
    fields: list[tuple[bytes, bytes]] = []

    def on_field(field: Field) -> None:
        fields.append((field.field_name or b"", field.value or b""))

    def on_file(file: File) -> None:
        content = file.file_object
        content.seek(0)
        fields.append((file.field_name or b"", content.read()))

    parser = FormParser(
        "multipart/form-data",
        on_field,
        on_file,
        boundary=_boundary(parameters),
        config={"MAX_MEMORY_FILE_SIZE": float("inf")},  # never a temporary file
    )
    try:
        parser.write(body)
        parser.finalize()
    except (FormParserError, ValueError) as malformed:
        raise FormRejected(400, "The multipart body is malformed.") from malformed
    return fields


def _boundary(parameters: bytes) -> bytes | None:
    """The `boundary` parameter, quoted or not; one split, so linear in the length."""
    for parameter in parameters.split(b";"):
        name, _, value = parameter.partition(b"=")
        if name.strip().lower() == b"boundary":
            return value.strip().strip(b'"') or None
    return None
