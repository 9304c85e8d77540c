"""The clock, the calendar and its redirect: routes with converters, as in Flask.

`branch=True` is Klein's leaf: the route answers its own path and every path below
it (example 4-5). The year is a converter's segment handed to one handler (example
4-6), and `now` redirects there with a URL Klein builds from the route's name and the
mount prefix (example 4-7).
"""

from __future__ import annotations

from klein.interfaces import IKleinRequest
from twisted.web.server import Request
from werkzeug.exceptions import NotFound

from core.content import (
    CALENDAR_WELCOME,
    clock_page,
    current_year,
    parse_year,
    redirect_page,
    year_page,
)
from klein_app.errors import Routes, app, html


class Dynamic(Routes):
    @app.route("/clock", branch=True, methods=["GET"])
    @app.route("/clock/", methods=["GET"])  # a branch's rest is never empty
    def clock(self, request: Request) -> bytes:
        """The local time, at /clock and every path below it."""
        return html(request, clock_page())

    @app.route("/calendar", methods=["GET"])
    @app.route("/calendar/", methods=["GET"])
    def calendar(self, request: Request) -> bytes:
        """The calendar's welcome page."""
        return html(request, CALENDAR_WELCOME)

    @app.route("/calendar/<segment>", methods=["GET"])
    def year(self, request: Request, segment: str) -> bytes:
        """A year's calendar, for years 1 to 9999."""
        number = parse_year(segment)
        if number is None:
            raise NotFound()
        return html(request, year_page(number))

    @app.route("/calendar/now", methods=["GET"])
    def now(self, request: Request) -> bytes:
        """A redirect to this year's calendar."""
        url = IKleinRequest(request).url_for("year", {"segment": current_year()})
        request.setResponseCode(302)
        request.setHeader(b"location", url.encode())
        return html(request, redirect_page(url))
