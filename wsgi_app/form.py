"""The form: a page with a form, and the answer to POSTing it."""

from __future__ import annotations

from flask import Blueprint, Response, request

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
    value = request.form.get(FORM_FIELD)
    if value is None:
        return error(400, MISSING_FIELD)
    return form_result_page(value)
