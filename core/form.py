"""The form's rules, the same on every mount: how many fields a form may have and how
big each may be (Werkzeug's limits, `MAX_FORM_PARTS` and `MAX_FORM_MEMORY_SIZE`), and
the one field the book's example 4-8 reads."""

from __future__ import annotations

from collections.abc import Collection

from core.content import MISSING_FIELD
from core.errors import ClientError
from core.settings import Settings


class FormRejected(ClientError):
    """A form the page does not take: 413 over a limit, 400 without the field."""


def _size(value: object) -> int:
    """A field's size in bytes; an uploaded file is counted, not measured (its size is
    the body's, which the mount has capped already)."""
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    return 0


def check_form(fields: Collection[object], value: object, settings: Settings) -> str:
    """The value of `form-field`, once the form keeps to the limits.

    `fields` are every value of the form as the framework parsed it: text, raw bytes
    (Twisted), or an uploaded file. `value` is what the framework found under
    `form-field`: text or bytes (decoded here as UTF-8); anything else (None, a file)
    is a missing field. Raises `FormRejected`.
    """
    if len(fields) > settings.max_form_fields:
        raise FormRejected(413, f"The form has over {settings.max_form_fields} fields.")
    if any(_size(field) > settings.max_form_memory for field in fields):
        raise FormRejected(413, f"A field is over {settings.max_form_memory} bytes.")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    raise FormRejected(400, MISSING_FIELD)
