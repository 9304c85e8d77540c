"""The form: a page with a form, and the answer to POSTing it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from core.content import FORM_FIELD, FORM_PAGE, MISSING_FIELD, form_result_page
from wsgi_app.errors import error

bp = Blueprint("form", __name__)


@bp.get("/form")
def form() -> str:
    """The form."""
    return FORM_PAGE


@bp.post("/form")
def submit() -> str | Response:
    """The submitted field, escaped; MAX_CONTENT_LENGTH answers 413 for big bodies."""
    # Werkzeug enforces MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE on multipart bodies
    # only; the same limits hold for urlencoded ones here.
    settings = current_app.config["TWISTBRIDGE"]
    values = [value for values in request.form.listvalues() for value in values]
    if len(values) > settings.max_form_fields:
        return error(413, f"The form has over {settings.max_form_fields} fields.")
    if any(len(value.encode()) > settings.max_form_memory for value in values):
        return error(413, f"A field is over {settings.max_form_memory} bytes.")
    value = request.form.get(FORM_FIELD)
    if value is None:
        return error(400, MISSING_FIELD)
    return form_result_page(value)
