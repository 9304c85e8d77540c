"""The clock, the calendar and its redirect: resources made per request.

"Twisted Web in 60 Seconds", dynamic-content and dynamic-dispatch: the clock is a
leaf (`isLeaf`) that answers its own path and every path below it (example 4-5); the
calendar makes a child for each year with `getChild` (example 4-6), and `now`
redirects there with `redirectTo` (example 4-7).
"""

from __future__ import annotations

from twisted.web.resource import Resource
from twisted.web.server import Request
from twisted.web.util import redirectTo

from core.content import (
    CALENDAR_WELCOME,
    clock_page,
    current_year,
    parse_year,
    year_page,
)
from twisted_host.native.errors import NotFound, Page, html


class Clock(Page):
    isLeaf = True

    def render_GET(self, request: Request) -> bytes:
        return html(request, clock_page())


class Calendar(Page):
    def getChild(self, path: bytes, request: Request) -> Resource:
        if path == b"":
            return self
        year = parse_year(path.decode("latin-1"))
        if year is None:
            return NotFound()
        return Year(year)

    def render_GET(self, request: Request) -> bytes:
        return html(request, CALENDAR_WELCOME)


class Year(Page):
    def __init__(self, year: int) -> None:
        super().__init__()
        self.year = year

    def render_GET(self, request: Request) -> bytes:
        return html(request, year_page(self.year))


class Now(Page):
    def render_GET(self, request: Request) -> bytes:
        # The sibling of "now": prepath ends [..., b"calendar", b"now"].
        parent = b"/".join((request.prepath or [])[:-1])
        return redirectTo(b"/%s/%d" % (parent, current_year()), request)


def create_calendar() -> Calendar:
    calendar = Calendar()
    calendar.putChild(b"now", Now())
    return calendar
