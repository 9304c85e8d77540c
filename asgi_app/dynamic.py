"""The clock, the calendar and its redirect: routes with path parameters."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from core.content import (
    CALENDAR_WELCOME,
    clock_page,
    current_year,
    parse_year,
    redirect_page,
    year_page,
)


async def clock(request: Request) -> HTMLResponse:
    """The local time, at /clock and every path below it."""
    return HTMLResponse(clock_page())


async def calendar(request: Request) -> HTMLResponse:
    """The calendar's welcome page."""
    return HTMLResponse(CALENDAR_WELCOME)


async def year(request: Request) -> HTMLResponse:
    """A year's calendar, for years 1 to 9999."""
    number = parse_year(request.path_params["segment"])
    if number is None:
        raise HTTPException(404)
    return HTMLResponse(year_page(number))


async def now(request: Request) -> HTMLResponse:
    """A redirect to this year's calendar."""
    url = request.url_for("year", segment=str(current_year())).path
    return HTMLResponse(redirect_page(url), 302, {"Location": url})


routes = [
    Route("/clock", clock),
    Route("/clock/{rest:path}", clock),
    Route("/calendar", calendar),
    Route("/calendar/", calendar),
    Route("/calendar/now", now),
    Route("/calendar/{segment}", year),
]
