"""The bodies every feature answers with, produced here once so that `/native`, `/wsgi`
and `/asgi` answer byte for byte the same.

Everything is `str`; each mount encodes it as UTF-8, the charset its `Content-Type`
announces.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterable
from html import escape
from http import HTTPStatus

HOME = "<h1>Home</h1>Home page"
ABOUT = "<h1>About</h1>All about me"
NO_SUCH_RESOURCE = "Sorry, no such resource."
NOT_FOUND = f"<h1>Not Found</h1>{NO_SUCH_RESOURCE}"
HELLO = "Hello, world!"

CALENDAR_WELCOME = "<html><body>Welcome to the calendar server!</body></html>"

FORM_FIELD = "form-field"
FORM_PAGE = (
    "<html><body>"
    '<form method="POST">'
    f'<input name="{FORM_FIELD}" type="text" />'
    '<input type="submit" />'
    "</form>"
    "</body></html>"
)

# The book's example 4-7 answers with Twisted's `redirectTo`; the other mounts write
# the same page so that the three bodies stay identical (a test checks the native one
# still matches, should Twisted ever change it).
_REDIRECT_TEMPLATE = """
<html>
    <head>
        <meta http-equiv="refresh" content="0;URL={url}">
    </head>
    <body bgcolor="#FFFFFF" text="#000000">
    <a href="{url}">click here</a>
    </body>
</html>
"""


def error_page(status: int, detail: str) -> str:
    """The HTML body of an error answer: the reason phrase, then one line of detail."""
    return f"<h1>{HTTPStatus(status).phrase}</h1>{escape(detail)}"


def method_not_allowed_page(method: str) -> str:
    return error_page(405, f"This resource does not answer {method}.")


def echo_text(
    method: str, target: str, version: str, headers: Iterable[tuple[str, str]]
) -> str:
    """The echo of a request, in one canonical format that every interface can produce.

    Header names are lower-cased, sorted, and repeated headers joined with "," because
    that is all WSGI keeps of them (an ``environ`` has one key per name, no order).
    """
    merged: dict[str, list[str]] = {}
    for name, value in headers:
        merged.setdefault(name.lower(), []).append(value)
    lines = [f"{method} {target} {version}"]
    lines.extend(f"{name}: {','.join(merged[name])}" for name in sorted(merged))
    return "You said:\n" + "\n".join(lines) + "\n"


def clock_page() -> str:
    return f"The local time is {time.ctime()}"


def parse_year(segment: str) -> int | None:
    """The year a calendar path segment names (1 to 9999), or None.

    The book tests `name.isdigit()`, which also accepts non-ASCII digits and lets
    `int()` chew on thousands of them; four ASCII digits at most keeps it cheap.
    """
    if 0 < len(segment) <= 4 and segment.isascii() and segment.isdigit():
        year = int(segment)
        if year >= 1:
            return year
    return None


def year_page(year: int) -> str:
    return f"<html><body><pre>{calendar.calendar(year)}</pre></body></html>"


def current_year() -> int:
    return time.localtime().tm_year


def redirect_page(url: str) -> str:
    return _REDIRECT_TEMPLATE.format(url=escape(url))


def form_result_page(value: str) -> str:
    return f"<html><body>You submitted: {escape(value)}</body></html>"


MISSING_FIELD = f"The form has no field named {FORM_FIELD!r}."


def busy_page() -> str:
    return f"Finally done, at {time.asctime()}"


def time_event() -> str:
    """One server-sent event of the `events` stream: the clock page's line (example
    4-5), pushed to the client instead of fetched by it."""
    return f"data: {clock_page()}\n\n"


# What `/wsgi/ws` answers (501): the reason, and where the three are compared.
NO_WEBSOCKET = (
    "<h1>Not Implemented</h1>"
    "WSGI cannot serve a WebSocket: a WSGI application is called once per request "
    "and must return the whole response, so it can neither take the connection over "
    "after the handshake nor hear from the client afterwards. "
    '<a href="/compare/ws">See how twisted.web and ASGI do it</a>.'
)
