"""The clock, the calendar and its redirect: routes with converters."""

from __future__ import annotations

from flask import Blueprint, Response, url_for
from werkzeug.exceptions import NotFound

from core.content import (
    CALENDAR_WELCOME,
    clock_page,
    current_year,
    parse_year,
    redirect_page,
    year_page,
)
from core.contract import HTML

bp = Blueprint("dynamic", __name__)


@bp.get("/clock", defaults={"rest": ""}, strict_slashes=False)
@bp.get("/clock/<path:rest>")
def clock(rest: str) -> str:
    """The local time, at /clock and every path below it."""
    return clock_page()


@bp.get("/calendar/", strict_slashes=False)
def calendar() -> str:
    """The calendar's welcome page."""
    return CALENDAR_WELCOME


@bp.get("/calendar/<segment>")
def year(segment: str) -> str:
    """A year's calendar, for years 1 to 9999."""
    number = parse_year(segment)
    if number is None:
        raise NotFound()
    return year_page(number)


@bp.get("/calendar/now")
def now() -> Response:
    """A redirect to this year's calendar."""
    url = url_for("dynamic.year", segment=str(current_year()))
    return Response(redirect_page(url), 302, {"Location": url}, content_type=HTML)
