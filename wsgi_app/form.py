"""The form: a page with a form, and the answer to POSTing it."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from core.content import FORM_FIELD, FORM_PAGE, form_result_page
from core.form import check_form

bp = Blueprint("form", __name__)


@bp.get("/form")
def form() -> str:
    """The form."""
    return FORM_PAGE


@bp.post("/form")
def submit() -> str:
    """The submitted field, escaped; MAX_CONTENT_LENGTH answers 413 for big bodies."""
    # Werkzeug enforces MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE on multipart bodies
    # only; core's check_form holds the same limits for every body.
    settings = current_app.config["TWISTBRIDGE"]
    fields = [value for values in request.form.listvalues() for value in values]
    value = request.form.get(FORM_FIELD)
    return form_result_page(check_form(fields, value, settings))
