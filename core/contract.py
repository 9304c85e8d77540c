"""The feature contract: one table that the mounts, the tests, the index page and the
load tool all read, so that "what a feature must answer" is written down once.

Each row is one web-server example of the chapter "Web Servers" of *Twisted Network
Programming Essentials*. `path` is relative to a mount prefix (`core.mounts`);
`example` is the path a person can click to try it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.live import EVENT_STREAM
from core.proxy import METHODS as PROXY_METHODS
from core.xmlrpc import XML

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

GET = ("GET", "HEAD")
ANY_METHOD: tuple[str, ...] = ()  # echo answers whatever the request line says

# The order methods are listed in an `Allow` header, whichever framework computed the
# set: Twisted, Werkzeug and Starlette each order them differently.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    chapter: str  # the book's example number, "" when the feature is ours
    path: str  # under the mount prefix; a trailing "*" means "and anything below"
    methods: tuple[str, ...]
    status: int
    content_type: str
    example: str
    teaches: str


FEATURES: tuple[Feature, ...] = (
    Feature(
        "home", "4-2", "/", GET, 200, HTML, "/",
        "A resource tree: the empty child answers the mount's root.",
    ),
    Feature(
        "about", "4-2", "/about", GET, 200, HTML, "/about",
        "A second static page: one child per path segment.",
    ),
    Feature(
        "not-found", "4-2", "/*", GET, 404, HTML, "/no-such-page",
        "Whatever no resource claims answers 404.",
    ),
    Feature(
        "echo", "4-1", "/echo", ANY_METHOD, 200, TEXT, "/echo",
        "What each interface lets the application see of the raw request.",
    ),
    Feature(
        "hello", "", "/hello", GET, 200, TEXT, "/hello",
        "The smallest response: the throughput baseline.",
    ),
    Feature(
        "static", "4-3", "/static/*", GET, 200, "", "/static/",
        "Files from a folder, with listings, conditional and range requests.",
    ),
    Feature(
        "static-dispatch", "4-4", "/static/doc/*", GET, 200, "", "/static/doc/",
        "More folders mounted as children of the static root.",
    ),
    Feature(
        "clock", "4-5", "/clock*", GET, 200, HTML, "/clock",
        "A leaf resource: it answers its own path and every path below it.",
    ),
    Feature(
        "calendar", "4-6", "/calendar/*", GET, 200, HTML, "/calendar/2026",
        "Dynamic dispatch: a child made on the fly from the path segment.",
    ),
    Feature(
        "redirect", "4-7", "/calendar/now", GET, 302, HTML, "/calendar/now",
        "A redirect to a URL computed per request.",
    ),
    Feature(
        "form", "4-8", "/form", ("GET", "HEAD", "POST"), 200, HTML, "/form",
        "Reading a POSTed form field, and escaping it on the way out.",
    ),
    Feature(
        "busy", "4-10", "/busy", GET, 200, HTML, "/busy?seconds=1",
        "Waiting without holding a thread: Deferreds and coroutines.",
    ),
    Feature(
        "busy-blocking", "4-9", "/busy/blocking", GET, 200, HTML,
        "/busy/blocking?seconds=1",
        "A blocking call stalls whatever runs the handler.",
    ),
    Feature(
        "busy-thread", "", "/busy/thread", GET, 200, HTML, "/busy/thread?seconds=1",
        "A blocking call handed to a worker thread.",
    ),
    Feature(
        "ws", "", "/ws", ("GET",), 101, "", "/ws",
        "A connection that stays open both ways: a WebSocket echo.",
    ),
    Feature(
        "events", "", "/events", GET, 200, EVENT_STREAM, "/events?count=5",
        "A response that never ends: the clock pushed once a second.",
    ),
    Feature(
        "proxy", "", "/proxy/*", PROXY_METHODS, 200, "", "/proxy/hello",
        "Another server's answer relayed: ReverseProxyResource, the strangler fig.",
    ),
    Feature(
        "xmlrpc", "", "/xmlrpc", ("POST",), 200, XML, "/xmlrpc",
        "Remote calls over XML-RPC, one of them waiting without a thread.",
    ),
)  # fmt: skip

FEATURES_BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}


def allow_header(methods: Iterable[str]) -> str:
    """The `Allow` value for a set of methods, in one order on every mount."""
    wanted = {method.upper() for method in methods}
    known = [method for method in _METHOD_ORDER if method in wanted]
    return ", ".join(known + sorted(wanted.difference(_METHOD_ORDER)))
